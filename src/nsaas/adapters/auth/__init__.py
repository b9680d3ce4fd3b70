"""Authentication adapters: Azure AD access tokens, platform service tokens and dev personas.

Callers use :class:`nsaas.adapters.auth.authenticator.Authenticator`; the modules beside it are
the individual verifiers it routes to, and :mod:`nsaas.domain.identity` holds what a
:class:`~nsaas.domain.identity.Principal` may do.
"""

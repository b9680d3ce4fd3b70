"""An embedded Kubernetes API simulator for development and tests.

It speaks the Kubernetes REST API over real HTTP on loopback, so the platform's normal client
(lightkube) and ``kubectl`` talk to it exactly as to a kube-apiserver. Nothing in production
imports it; ``nsaas dev``, ``nsaas sim`` and the tests start it. It imports nothing else of nsaas,
so it can never start depending on the code it is meant to test.
"""

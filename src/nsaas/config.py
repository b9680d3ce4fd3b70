"""Settings for every nsaas process, read from the environment (prefix ``NSAAS_``).

Settings are grouped the way operators think about them (database, cluster, engine, auth,
policy, ui, labels, bundle, pricing) and passed explicitly to whatever needs them; nothing reads
a global. Nested groups use ``__`` in the environment: ``NSAAS_POLICY__TEAM_NAMESPACE_CAP=20``.
A few top-level names are part of the public contract (ARCHITECTURE.md) and stay flat:
``NSAAS_DATABASE_URL``, ``NSAAS_ENGINE``, ``NSAAS_AUTH_MODE``, ``NSAAS_DATA_DIR``,
``NSAAS_KUBECONFIG``.

Secrets never have usable defaults outside dev mode: :meth:`Settings.check_production` refuses
to start a production process with a missing or known-default secret and names each one.
"""

from __future__ import annotations

import ipaddress
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from nsaas.domain import errors

AuthMode = Literal["dev", "azure-ad"]
EngineName = Literal["direct", "argo"]

#: Values that must never be accepted as secrets outside dev mode.
KNOWN_DEFAULT_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "dev", "development", "nsaas-dev-secret", "password"}
)
MIN_SECRET_LENGTH = 32


class DatabaseSettings(BaseModel):
    echo: bool = False
    pool_size: int = Field(default=10, ge=1, le=200)
    #: How long a starting process (api, worker, ``db upgrade``) waits for the database to answer.
    startup_wait_seconds: float = Field(default=600.0, ge=0)
    #: SQLite file name inside the data directory when no URL is given.
    sqlite_file: str = "nsaas.db"


class ClusterSettings(BaseModel):
    context: str | None = None
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    max_retries: int = Field(default=5, ge=0, le=20)
    backoff_base_seconds: float = Field(default=0.05, gt=0)
    backoff_max_seconds: float = Field(default=5.0, gt=0)
    breaker_failure_threshold: int = Field(default=20, ge=1)
    breaker_reset_seconds: float = Field(default=10.0, gt=0)
    field_manager: str = "nsaas"
    #: Keep-alive connections to the API server, all kept open; requests beyond them wait for a free
    #: one instead of opening (and closing) a connection each. Unset: ``engines.max_concurrent_steps``.
    max_connections: int | None = Field(default=None, ge=1, le=1000)
    #: How long an idle connection is kept; below the API server's own idle timeout.
    keepalive_seconds: float = Field(default=20.0, gt=0)


class EngineSettings(BaseModel):
    #: Namespace where Workflow objects are created (argo engine).
    argo_namespace: str = "argo"
    argo_service_account: str = "nsaas-workflow"
    provision_template: str = "nsaas-provision-namespace"
    decommission_template: str = "nsaas-decommission-namespace"
    resync_seconds: float = Field(default=30.0, gt=0)
    poll_seconds: float = Field(default=0.2, gt=0)
    max_attempts: int = Field(default=8, ge=1)
    backoff_base_seconds: float = Field(default=0.5, gt=0)
    backoff_max_seconds: float = Field(default=60.0, gt=0)
    lease_seconds: float = Field(default=30.0, gt=0)
    batch_size: int = Field(default=20, ge=1, le=500)
    #: Steps one worker runs at once; a slow namespace holds one of these, never the others' turn.
    max_concurrent_steps: int = Field(default=20, ge=1, le=1000)
    run_in_api: bool = True


class AuthSettings(BaseModel):
    jwt_secret: SecretStr = SecretStr("")
    platform_token_issuer: str = "platform-api"
    platform_token_audience: str = "platform-users"
    azure_tenant_id: str = ""
    azure_client_id: str = ""
    azure_client_secret: SecretStr = SecretStr("")
    #: Audience expected in Azure AD access tokens (defaults to ``api://<client id>``).
    azure_audience: str = ""
    #: Override of the OpenID discovery URL (tests point it at a local provider).
    azure_discovery_url: str = ""
    clock_skew_seconds: int = Field(default=60, ge=0, le=300)
    jwks_cache_seconds: int = Field(default=3600, ge=60)
    #: Azure AD group object ID -> list of roles (``platform:admin``, ``team:<t>:developer`` ...).
    group_roles: dict[str, list[str]] = Field(default_factory=dict)
    #: Also take nsaas role strings from the token's ``roles`` claim (Azure app roles); off by default.
    azure_accept_app_roles: bool = False
    rate_limit_per_minute: int = Field(default=600, ge=1)
    create_limit: int = Field(default=10, ge=1)
    create_window_seconds: int = Field(default=900, ge=1)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)


class ServerSettings(BaseModel):
    """HTTP server limits of the API and UI (uvicorn) and of event streams (SSE)."""

    keep_alive_seconds: int = Field(default=5, ge=1, le=300)
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    max_header_bytes: int = Field(default=16 * 1024, ge=4096, le=1024 * 1024)
    max_connections: int = Field(default=2000, ge=10)
    #: Open event streams per user, and in total per API replica (429 beyond).
    sse_streams_per_user: int = Field(default=5, ge=1)
    sse_streams_total: int = Field(default=500, ge=1)
    #: A stream resuming from an old Last-Event-ID replays at most this many events.
    sse_replay_limit: int = Field(default=1000, ge=1)
    #: A client that does not take an event within this time is disconnected.
    sse_send_timeout_seconds: float = Field(default=15.0, gt=0)


class PolicySettings(BaseModel):
    team_namespace_cap: int = Field(default=10, ge=1)
    require_team_prefix: bool = False
    reserved_names: list[str] = Field(
        default_factory=lambda: [
            "kube-system",
            "kube-public",
            "kube-node-lease",
            "default",
            "azure-system",
            "aso-system",
            "istio-system",
            "platform-system",
            "cert-manager",
            "external-dns",
            "external-secrets-system",
            "argo",
            "gatekeeper-system",
        ]
    )
    reserved_prefixes: list[str] = Field(default_factory=lambda: ["kube-"])
    approval_environments: list[str] = Field(default_factory=lambda: ["production"])
    forbidden_tiers: dict[str, list[str]] = Field(default_factory=lambda: {"production": ["micro"]})
    forbidden_network_policies: dict[str, list[str]] = Field(default_factory=lambda: {"production": ["open"]})
    #: Optional aggregate budget per team across all its live namespaces (None = unlimited).
    team_cpu_budget: Decimal | None = None
    team_memory_budget_gi: Decimal | None = None
    #: Requested storage (the tiers' ``requests.storage``) across a team's live namespaces.
    team_storage_budget_gi: Decimal | None = None
    max_ttl_hours: int = Field(default=24 * 90, ge=1)
    #: Warnings (timeline, bell, webhooks) this many hours before a TTL ends: 7 days and 1 day.
    expiry_warning_hours: list[int] = Field(default_factory=lambda: [168, 24])
    decommission_grace_seconds: int = Field(default=0, ge=0)
    protect_production: bool = True
    recreate_deleted_namespaces: bool = False


class LabelSettings(BaseModel):
    prefix: str = "platform.io"
    managed_by: str = "nsaas"


class BundleSettings(BaseModel):
    pod_security: dict[str, str] = Field(
        default_factory=lambda: {
            "development": "baseline",
            "staging": "restricted",
            "production": "restricted",
        }
    )
    #: Azure AD group object IDs per team: {"team-a": {"admin": "<guid>", "developer": "<guid>"}}.
    team_groups: dict[str, dict[str, str]] = Field(default_factory=dict)
    istio_revision: str = ""
    monitoring_namespace: str = "monitoring"
    ingress_namespace: str = "istio-ingress"
    database_cidrs: list[str] = Field(default_factory=lambda: ["10.20.0.0/16"])
    database_ports: list[int] = Field(default_factory=lambda: [5432, 1433, 3306])
    secret_store: str = "tenant-keyvault"
    backup_retention_days: int = Field(default=14, ge=1, le=3650)
    backup_schedule: str = "0 2 * * *"
    velero_namespace: str = "velero"

    @field_validator("database_cidrs")
    @classmethod
    def _valid_cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)
        return value


class PricingSettings(BaseModel):
    """Price table behind every cost estimate; shown to users as the estimate's basis."""

    #: The defaults reproduce the platform's published tier estimates ($50/$100/$200/$400 a month)
    #: from the tiers' requests; storage is not priced by default. Set your own rates.
    currency: str = "USD"
    cpu_core_month: Decimal = Decimal("30")
    memory_gib_month: Decimal = Decimal("10")
    storage_gib_month: Decimal = Decimal("0")
    basis: str = (
        "Estimate: the tier's quota requests x list prices per month "
        "(CPU core, GiB of memory, GiB of storage); actual usage is usually lower."
    )


class UiSettings(BaseModel):
    api_url: str = "http://127.0.0.1:3000"
    public_url: str = "http://127.0.0.1:8080"
    session_secret: SecretStr = SecretStr("")
    ui_client_secret: SecretStr = SecretStr("")
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60)
    #: OAuth scope of the Platform API requested at login (empty: ``api://<azure client id>/.default``).
    api_scope: str = ""


class NotificationSettings(BaseModel):
    """The notifier (runs with the reconciler): outbound webhooks of each team's channels."""

    enabled: bool = True
    poll_seconds: float = Field(default=2.0, gt=0)
    batch_size: int = Field(default=20, ge=1, le=500)
    lease_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=8, ge=1)
    backoff_base_seconds: float = Field(default=2.0, gt=0)
    backoff_max_seconds: float = Field(default=900.0, gt=0)
    timeout_seconds: float = Field(default=5.0, gt=0)
    #: Webhook URLs must be https; plain http is accepted in dev mode or when this is true.
    allow_http: bool = False


class TracingSettings(BaseModel):
    """OpenTelemetry tracing: spans always propagate; they are exported only to a configured endpoint."""

    #: OTLP/HTTP collector base URL (``http://otel-collector:4318``); empty: export nothing.
    otlp_endpoint: str = ""
    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)


class AccessSettings(BaseModel):
    """How developers reach the cluster with kubectl (``GET .../namespaces/{name}/access``, ``nsaas ns connect``)."""

    #: Cluster name shown to users and used in the kubeconfig they get.
    cluster_name: str = "aks"
    #: API server URL developers reach (AKS: the cluster's FQDN); empty in dev mode: the simulator's.
    server: str = ""
    #: Base64 PEM of the API server's CA (public data, not a secret); empty: the system trust store.
    certificate_authority_data: str = ""
    #: AKS: the Azure AD server application kubelogin requests tokens for (the AKS-managed one by default).
    kubelogin_server_id: str = "6dae42f8-4368-4678-94ff-3960e28e3630"
    #: kubelogin login mode: devicecode, azurecli, interactive, workloadidentity ...
    kubelogin_login: str = "devicecode"
    #: Links in the Backstage catalog entity (``.../catalog-info``); empty: the link is left out.
    portal_url: str = "http://127.0.0.1:8080"
    grafana_url: str = ""
    #: Grafana dashboard path for one namespace (kube-prometheus "Compute Resources / Namespace (Pods)").
    grafana_namespace_dashboard: str = "/d/85a562078cdf77779eaa1add43ccec1e/kubernetes-compute-resources-namespace-pods"
    #: Backstage ``spec.system`` of every namespace entity.
    backstage_system: str = "namespaces"


class GitOpsSettings(BaseModel):
    """The GitOps request path: NamespaceRequest resources written by Flux from a Git repository."""

    #: Watch NamespaceRequests in the worker (needs the CRD; without it the watcher waits and retries).
    enabled: bool = True
    #: The one namespace NamespaceRequests are read from (the contract's ``nsaas-requests``).
    namespace: str = "nsaas-requests"
    #: Full re-list of every NamespaceRequest, on top of the watch (level-triggered safety net).
    resync_seconds: float = Field(default=30.0, gt=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NSAAS_", env_nested_delimiter="__", extra="ignore", frozen=False)

    auth_mode: AuthMode = "azure-ad"
    engine: EngineName = "direct"
    database_url: str = ""
    data_dir: Path = Path(".nsaas")
    kubeconfig: str = ""
    log_level: str = "INFO"
    log_json: bool = True

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    engines: EngineSettings = Field(default_factory=EngineSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    labels: LabelSettings = Field(default_factory=LabelSettings)
    bundle: BundleSettings = Field(default_factory=BundleSettings)
    pricing: PricingSettings = Field(default_factory=PricingSettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    gitops: GitOpsSettings = Field(default_factory=GitOpsSettings)

    @property
    def dev_mode(self) -> bool:
        return self.auth_mode == "dev"

    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / self.database.sqlite_file).resolve()}"

    def check_production(self, *, needs: tuple[str, ...] = ("jwt_secret",)) -> None:
        """Refuse to run outside dev mode with missing or default secrets.

        ``needs`` names the secrets the calling process uses (the UI needs its session secret,
        the API its JWT secret). Raises :class:`errors.ConfigurationError` listing each problem.
        """
        if self.dev_mode:
            return
        secrets = {
            "jwt_secret": ("NSAAS_AUTH__JWT_SECRET", self.auth.jwt_secret),
            "session_secret": ("NSAAS_UI__SESSION_SECRET", self.ui.session_secret),
            "ui_client_secret": ("NSAAS_UI__UI_CLIENT_SECRET", self.ui.ui_client_secret),
        }
        problems: dict[str, str] = {}
        for name in needs:
            env_name, value = secrets[name]
            raw = value.get_secret_value()
            if raw.strip().lower() in KNOWN_DEFAULT_SECRETS:
                problems[env_name] = "is missing or a known default; set a random value"
            elif len(raw) < MIN_SECRET_LENGTH and name != "ui_client_secret":
                problems[env_name] = f"must be at least {MIN_SECRET_LENGTH} characters"
        if self.auth_mode == "azure-ad" and not (self.auth.azure_tenant_id or self.auth.azure_discovery_url):
            problems["NSAAS_AUTH__AZURE_TENANT_ID"] = "is required with NSAAS_AUTH_MODE=azure-ad"
        if problems:
            raise errors.ConfigurationError(
                "refusing to start outside dev mode: " + "; ".join(f"{k} {v}" for k, v in problems.items()),
                details=problems,
            )


def load() -> Settings:
    return Settings()


def reference_markdown() -> str:
    """The configuration reference (docs/configuration.md), generated so it cannot drift."""
    lines = [
        "# Configuration reference",
        "",
        "Generated from `nsaas.config.Settings` by `nsaas config-reference`; a test keeps this file in step.",
        "Every setting is an environment variable with the prefix `NSAAS_`; grouped settings use `__`",
        "between the group and the field (`NSAAS_POLICY__TEAM_NAMESPACE_CAP=20`). Lists and maps are JSON",
        '(`NSAAS_AUTH__GROUP_ROLES=\'{"<group-object-id>": ["platform:admin"]}\'`).',
        "Secrets have no usable default outside `NSAAS_AUTH_MODE=dev`: a production process refuses to start.",
        "",
    ]
    lines += _field_table(Settings, prefix="NSAAS_", title="Top level")
    for name, info in Settings.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            doc = (annotation.__doc__ or "").strip().splitlines()
            lines += _field_table(annotation, prefix=f"NSAAS_{name.upper()}__", title=f"`{name}`", doc=doc)
    return "\n".join(lines).rstrip() + "\n"


def _field_table(model: type[BaseModel], *, prefix: str, title: str, doc: list[str] | None = None) -> list[str]:
    rows = [f"## {title}", ""]
    if doc:
        rows += [doc[0], ""]
    rows += ["| variable | type | default |", "|---|---|---|"]
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            continue
        default = info.get_default(call_default_factory=True)
        if isinstance(default, SecretStr):
            shown = "(secret, none)"
        elif isinstance(default, Path):
            shown = f"`{default}`"
        else:
            shown = f"`{default!s}`" if default not in ("", None) else "(empty)"
        type_name = getattr(annotation, "__name__", str(annotation)).replace("typing.", "")
        cells = [f"`{prefix}{name.upper()}`", type_name, shown]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return [*rows, ""]

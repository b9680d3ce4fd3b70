"""``nsaas team ...``: read the team registry (everyone their own team) and change it (platform admins)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nsaas.cli.client import account, api, output, session

app = typer.Typer(
    help="Teams: limits, allow-lists and Azure AD groups (platform admins change them).", no_args_is_help=True
)
ApiOption = account.ApiOption
OutputOption = account.OutputOption
TEAM_COLUMNS = (
    ("NAME", "name"),
    ("REGISTERED", "registered"),
    ("CAP", "namespaceCap"),
    ("BUDGET", "budget"),
    ("TIERS", "allowedTiers"),
    ("COST CENTER", "costCenter"),
)
#: ``--reset`` names (the API's fields): sent as null, so the limit follows the platform default again.
RESETTABLE = (
    "namespaceCap",
    "budget",
    "allowedEnvironments",
    "allowedTiers",
    "allowedFeatures",
    "allowedStorageClasses",
    "allowedIngressClasses",
    "allowedRegistries",
    "costCenter",
)

Cap = Annotated[int | None, typer.Option("--cap", help="Live namespaces the team may hold")]
Cpu = Annotated[float | None, typer.Option("--cpu", help="CPU budget (cores requested) across the team")]
Memory = Annotated[float | None, typer.Option("--memory-gi", help="Memory budget (GiB requested)")]
Storage = Annotated[float | None, typer.Option("--storage-gi", help="Storage budget (GiB requested)")]
Envs = Annotated[list[str] | None, typer.Option("--env", help="An allowed environment; repeat for several")]
Tiers = Annotated[list[str] | None, typer.Option("--tier", help="An allowed tier; repeat for several")]
Features = Annotated[list[str] | None, typer.Option("--feature", help="An allowed feature; repeat for several")]
Owners = Annotated[list[str] | None, typer.Option("--owner-group", help="Azure AD group of team admins")]
Members = Annotated[list[str] | None, typer.Option("--member-group", help="Azure AD group of team developers")]
StorageClasses = Annotated[
    list[str] | None, typer.Option("--storage-class", help="An allowed StorageClass (cluster-enforced); repeat")
]
IngressClasses = Annotated[
    list[str] | None, typer.Option("--ingress-class", help="An allowed IngressClass (cluster-enforced); repeat")
]
Registries = Annotated[
    list[str] | None, typer.Option("--registry", help="An allowed image prefix, e.g. myacr.azurecr.io/; repeat")
]
CostCenter = Annotated[str | None, typer.Option("--cost-center", help="Default cost center of its requests")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="team")


def _emit(data: Any, fmt: output.Format) -> None:
    """Tables show the budget on one line; JSON and YAML keep the API's shape."""

    def flat(team: dict[str, Any]) -> dict[str, Any]:
        budget = team.get("budget") or {}
        parts = [f"{key}={value}" for key, value in budget.items() if value is not None]
        return {**team, "budget": ", ".join(parts) or "unlimited"}

    if fmt != output.Format.table:
        output.emit(data, fmt)
    elif isinstance(data, list):
        output.emit([flat(team) for team in data], fmt, columns=TEAM_COLUMNS)
    else:
        output.emit(flat(data), fmt)


def _body(
    cap: int | None,
    cpu: float | None,
    memory_gi: float | None,
    storage_gi: float | None,
    env: list[str] | None,
    tier: list[str] | None,
    feature: list[str] | None,
    storage_class: list[str] | None,
    ingress_class: list[str] | None,
    registry: list[str] | None,
    owner_group: list[str] | None,
    member_group: list[str] | None,
    cost_center: str | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "namespaceCap": cap,
        "allowedEnvironments": env,
        "allowedTiers": tier,
        "allowedFeatures": feature,
        "allowedStorageClasses": storage_class,
        "allowedIngressClasses": ingress_class,
        "allowedRegistries": registry,
        "ownerGroups": owner_group,
        "memberGroups": member_group,
        "costCenter": cost_center,
    }
    budget = {"cpu": cpu, "memoryGi": memory_gi, "storageGi": storage_gi}
    if any(value is not None for value in budget.values()):
        body["budget"] = {key: value for key, value in budget.items() if value is not None}
    return {key: value for key, value in body.items() if value is not None}


@app.command("list")
def list_(api_url: ApiOption = None, fmt: OutputOption = output.Format.table) -> None:
    """Your teams (platform roles: every registered team) and the limits in force."""
    session.run(api_url, lambda client: _emit(client.call("GET", "/teams").data, fmt))


@app.command("show")
def show(name: str, api_url: ApiOption = None, fmt: OutputOption = output.Format.table) -> None:
    """One team's limits, allow-lists and groups (an unregistered team shows the platform defaults)."""
    session.run(api_url, lambda client: _emit(client.call("GET", f"/teams/{name}").data, fmt))


@app.command("create")
def create(
    name: str,
    *,
    cap: Cap = None,
    cpu: Cpu = None,
    memory_gi: Memory = None,
    storage_gi: Storage = None,
    env: Envs = None,
    tier: Tiers = None,
    feature: Features = None,
    storage_class: StorageClasses = None,
    ingress_class: IngressClasses = None,
    registry: Registries = None,
    owner_group: Owners = None,
    member_group: Members = None,
    cost_center: CostCenter = None,
    api_url: ApiOption = None,
    fmt: OutputOption = output.Format.table,
) -> None:
    """Register a team (platform admins); every limit left out follows the platform configuration."""
    lists = (feature, storage_class, ingress_class, registry)
    body = _body(cap, cpu, memory_gi, storage_gi, env, tier, *lists, owner_group, member_group, cost_center)
    session.run(api_url, lambda client: _emit(client.call("POST", "/teams", body={"name": name, **body}).data, fmt))


@app.command("update")
def update(
    name: str,
    *,
    cap: Cap = None,
    cpu: Cpu = None,
    memory_gi: Memory = None,
    storage_gi: Storage = None,
    env: Envs = None,
    tier: Tiers = None,
    feature: Features = None,
    storage_class: StorageClasses = None,
    ingress_class: IngressClasses = None,
    registry: Registries = None,
    owner_group: Owners = None,
    member_group: Members = None,
    cost_center: CostCenter = None,
    reset: Annotated[
        list[str] | None, typer.Option("--reset", help=f"Back to the platform default: {', '.join(RESETTABLE)}")
    ] = None,
    api_url: ApiOption = None,
    fmt: OutputOption = output.Format.table,
) -> None:
    """Change a registered team (platform admins): only what is given changes; a new budget replaces the old."""
    lists = (feature, storage_class, ingress_class, registry)
    body = _body(cap, cpu, memory_gi, storage_gi, env, tier, *lists, owner_group, member_group, cost_center)
    unknown = sorted(set(reset or ()) - set(RESETTABLE))
    if unknown:
        api.report(
            api.CliError(
                f"cannot reset {', '.join(unknown)}", api.INVALID_INPUT, {"--reset": f"one of {', '.join(RESETTABLE)}"}
            )
        )
    body.update(dict.fromkeys(reset or ()))
    if not body:
        api.report(api.CliError("nothing to change", api.INVALID_INPUT, {"options": "give at least one"}))
    session.run(api_url, lambda client: _emit(client.call("PATCH", f"/teams/{name}", body=body).data, fmt))

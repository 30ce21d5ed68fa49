"""Evidence importers: one module per source, each a function registered for its ImportKind."""

from collections.abc import Callable
from importlib import import_module

from governance.models.evidence import ImportKind

# kind -> "module:function"; loaded on use so a command imports only the parser it runs.
IMPORTERS: dict[str, str] = {
    ImportKind.TEAM_MEMBERS: "governance.importers.members:import_team_members",
    ImportKind.PULL_REQUESTS: "governance.importers.github:import_pull_requests",
    ImportKind.GITHUB_SYNC: "governance.importers.github_api:sync_github",
    ImportKind.GATEWAY_LOGS: "governance.importers.gateway:import_gateway_logs",
    ImportKind.COPILOT_METRICS: "governance.importers.copilot:import_copilot_metrics",
}


def importer_for(kind: str) -> Callable:
    """Return the importer function registered for an ImportKind."""
    module, name = IMPORTERS[kind].split(":")
    return getattr(import_module(module), name)

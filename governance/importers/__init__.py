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


# Kinds that read a remote source first, outside the import's transaction: the function
# returns the path of a file the importer then reads (and the service deletes).
PREFETCHERS: dict[str, str] = {
    ImportKind.GITHUB_SYNC: "governance.importers.github_api:prefetch_github",
}


def _load(target: str) -> Callable:
    module, name = target.split(":")
    return getattr(import_module(module), name)


def prefetcher_for(kind: str) -> Callable | None:
    """Return the kind's prefetch function, if it has one."""
    return _load(PREFETCHERS[kind]) if kind in PREFETCHERS else None


def importer_for(kind: str) -> Callable:
    """Return the importer function registered for an ImportKind."""
    return _load(IMPORTERS[kind])

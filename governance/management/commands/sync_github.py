"""sync_github: read pull-request history (and optionally team membership) from GitHub's API."""

from governance.management.commands._evidence import EvidenceImportCommand
from governance.models.evidence import ImportKind


class Command(EvidenceImportCommand):
    """Incremental by default: only pulls updated since the latest one stored are read."""

    help = (
        "Sync pull requests, reviews, commits' co-authors and escaped defects from the GitHub "
        "REST API (GITHUB_API_URL, GITHUB_TOKEN). See governance/importers/github_api.py."
    )
    kind = ImportKind.GITHUB_SYNC
    takes_path = False
    progress_unit = " records"

    def add_import_arguments(self, parser) -> None:
        """--org, --repo (repeatable), --teams, --full, --since."""
        parser.add_argument("--org", required=True, help="The GitHub organisation.")
        parser.add_argument(
            "--repo",
            action="append",
            default=[],
            help="owner/name; repeat for several (default: every repository of the org).",
        )
        parser.add_argument(
            "--teams", action="store_true", help="Also record membership of the org's teams."
        )
        parser.add_argument(
            "--full", action="store_true", help="Read everything, not just what changed."
        )
        parser.add_argument("--since", default="", help="Read nothing updated before this time.")

    def import_options(self, options: dict) -> dict:
        """The organisation, repositories and switches as the run's options."""
        chosen = {"org": options["org"]}
        if options["repo"]:
            chosen["repos"] = options["repo"]
        for name in ("teams", "full"):
            if options[name]:
                chosen[name] = True
        if options["since"]:
            chosen["since"] = options["since"]
        return chosen

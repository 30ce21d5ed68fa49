"""import_pull_requests: load GitHub pulls, reviews, commits and defect issues from a file."""

from governance.management.commands._evidence import EvidenceImportCommand
from governance.models.evidence import ImportKind


class Command(EvidenceImportCommand):
    """All or nothing (or --skip-bad); re-importing the same file changes nothing."""

    help = (
        "Import pull-request history from `gh api --paginate` output (JSON arrays back to back) "
        "or JSON Lines: pulls, reviews, commits (with pull_number) and escaped-defect issues. "
        "See governance/importers/github.py for the shapes."
    )
    kind = ImportKind.PULL_REQUESTS

    def add_import_arguments(self, parser) -> None:
        """--repo, for records that do not name their repository."""
        parser.add_argument(
            "--repo", default="", help="owner/name, for records that do not name theirs."
        )

    def import_options(self, options: dict) -> dict:
        """The repository, when given."""
        return {"repo": options["repo"]} if options["repo"] else {}

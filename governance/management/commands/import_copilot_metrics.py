"""import_copilot_metrics: load Copilot usage-metrics reports or the seats API's answer."""

from argparse import ArgumentTypeError
from datetime import date

from governance.management.commands._evidence import EvidenceImportCommand
from governance.models.evidence import ImportKind


def _day(value: str) -> str:
    """Refuse a malformed --day before anything is recorded."""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as error:
        raise ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from error


class Command(EvidenceImportCommand):
    """All or nothing (or --skip-bad); re-importing the same file changes nothing."""

    help = (
        "Import GitHub Copilot usage metrics: the user-level and organisation/enterprise-level "
        "NDJSON reports (1-day or 28-day), or the JSON of GET /orgs/{org}/copilot/billing for "
        "seats paid and active. See governance/importers/copilot.py for the fields read."
    )
    kind = ImportKind.COPILOT_METRICS

    def add_import_arguments(self, parser) -> None:
        """--scope and --day, which name where organisation totals and seats are recorded."""
        parser.add_argument(
            "--scope",
            default="",
            help="The organisation or enterprise to record totals and seats under (seats "
            "default to 'org'; reports to their organization_id or enterprise_id).",
        )
        parser.add_argument(
            "--day",
            type=_day,
            default=None,
            help="YYYY-MM-DD: the day a seats file describes (default today).",
        )

    def import_options(self, options: dict) -> dict:
        """The scope and the day, when given."""
        chosen = {"scope": options["scope"].strip(), "day": options["day"]}
        return {name: value for name, value in chosen.items() if value}

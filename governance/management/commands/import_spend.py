"""import_spend: load a CSV of monthly spend into the ledger, all or nothing."""

from governance.csvimport import CsvImportCommand
from governance.services.finance import SPEND_COLUMNS, spend_import


class Command(CsvImportCommand):
    """Validate every row first; write nothing unless all are valid (or with --dry-run, never)."""

    help = (
        "Import spend from a CSV with columns month (YYYY-MM), amount, currency, scope "
        "(pilot/team/program), pilot (id), team (name), offering (id), vendor (slug), category, "
        "reference. A row with an existing key corrects that row."
    )
    columns = SPEND_COLUMNS
    optional = ("pilot", "team", "offering", "currency", "reference")

    def import_rows(self, rows: list[dict], user, dry_run: bool) -> str:
        count = spend_import(rows=rows, actor=user, dry_run=dry_run)
        return f"{'Would record' if dry_run else 'Recorded'} {count} spend rows."

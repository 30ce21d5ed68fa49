"""import_gateway_logs: AI-gateway spend logs (LiteLLM, or any gateway's CSV with a mapping)."""

import json
import tomllib
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from governance.importers.gateway import FORMATS
from governance.management.commands._evidence import EvidenceImportCommand
from governance.models.evidence import ImportKind, ImportRun
from vendors.choices import Currency


def load_mapping(path: str) -> dict:
    """Read a column mapping (target -> column) from a .json or .toml file."""
    file = Path(path)
    try:
        text = file.read_bytes()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}") from error
    try:
        if file.suffix.lower() == ".toml":
            data = tomllib.loads(text.decode("utf-8"))
        else:
            data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise CommandError(f"{path} is not a valid mapping file: {error}") from error
    # A TOML file may keep the mapping under a [mapping] table beside other settings.
    data = data.get("mapping", data) if isinstance(data, dict) else data
    if not isinstance(data, dict):
        raise CommandError(f"{path} must map target fields to column names.")
    return data


class Command(EvidenceImportCommand):
    """All or nothing (or --skip-bad); requests already imported are never counted twice."""

    help = (
        "Import AI-gateway spend logs: LiteLLM spend-log rows as CSV or JSON Lines (default), "
        "or any gateway's CSV with --format csv --mapping FILE (docs/gateway-mapping.md). "
        "Re-rolls up the affected days and writes their months' inference spend to the ledger."
    )
    kind = ImportKind.GATEWAY_LOGS

    def add_import_arguments(self, parser) -> None:
        """--format, --mapping and --currency."""
        parser.add_argument("--format", choices=FORMATS, default="litellm")
        parser.add_argument("--mapping", help="Column mapping for --format csv (.json or .toml).")
        parser.add_argument(
            "--currency",
            choices=Currency.values,
            default=Currency.USD,
            help="The currency the logged spend is in (default USD).",
        )

    def import_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """The run's format, mapping and currency."""
        if options["format"] == "csv" and not options.get("mapping"):
            raise CommandError("--format csv needs --mapping FILE.")
        run_options = {"format": options["format"], "currency": options["currency"]}
        if options.get("mapping"):
            run_options["mapping"] = load_mapping(options["mapping"])
        return run_options

    def summarise(self, run: ImportRun) -> None:
        """The shared summary, then the figures that are not name counts."""
        report = run.report
        run.report = {k: v for k, v in report.items() if isinstance(v, dict)}
        try:
            super().summarise(run)
        finally:
            run.report = report
        for kind, value in sorted(report.items()):
            if not isinstance(value, dict | list):
                self.stdout.write(f"  {kind.replace('_', ' ')}: {value}")
            elif isinstance(value, list):
                self.stdout.write(f"  {kind.replace('_', ' ')}: {'; '.join(map(str, value))}")

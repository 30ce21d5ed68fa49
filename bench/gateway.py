"""Benchmark P5: importing a LiteLLM spend-log CSV versus a bare PostgreSQL COPY of the file.

  python bench/gateway.py [--rows 1000000] [--keep FILE]
Writes a realistic CSV (12 teams; fast / standard / heavy at 71 / 24 / 5 % of requests over
six models; cached tokens in metadata), imports it through import_create + import_execute
(what `manage.py import_gateway_logs` runs), then COPYs the same file into a bare table with
the same columns, and prints the ratio of the two rates. Needs PostgreSQL (DATABASE_URL);
bench rows are marked (teams "bench-gw-*", request ids "bench-...") and replaced each run.
"""

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.config.settings")

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402

from governance.models import GatewayDaily, Spend, Team  # noqa: E402
from governance.models.evidence import ImportKind, ImportStatus  # noqa: E402
from governance.services.gateway_months import gateway_months_refresh  # noqa: E402
from governance.services.imports import import_create, import_execute  # noqa: E402
from vendors.models import ModelVersion, Vendor  # noqa: E402

HEADER = [
    "request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
    "completion_tokens", "startTime", "endTime", "completionStartTime", "model", "model_id",
    "model_group", "custom_llm_provider", "api_base", "user", "metadata", "cache_hit",
    "cache_key", "request_tags", "team_id", "end_user", "requester_ip_address", "status",
]  # fmt: skip
# The bare table COPY fills: the file's columns, typed as LiteLLM's own table types them.
BARE_TYPES = {
    "spend": "double precision",
    "total_tokens": "bigint",
    "prompt_tokens": "bigint",
    "completion_tokens": "bigint",
    "startTime": "timestamptz",
    "endTime": "timestamptz",
    "completionStartTime": "timestamptz",
    "metadata": "jsonb",
    "request_tags": "jsonb",
}
# (family, version, tier, logged name, share of its tier, $ per 1M input, $ per 1M output)
MODELS = [
    ("claude-haiku", "4.5", "fast", "anthropic/claude-haiku-4-5-20251001", 0.6, 1, 5),
    ("gpt", "5-mini", "fast", "openai/gpt-5-mini", 0.4, Decimal("0.25"), 2),
    ("claude-sonnet", "4.5", "standard", "anthropic/claude-sonnet-4-5-20250929", 0.7, 3, 15),
    ("gpt", "5", "standard", "openai/gpt-5", 0.3, Decimal("1.25"), 10),
    ("claude-opus", "4.1", "heavy", "anthropic/claude-opus-4-1-20250805", 1.0, 15, 75),
]
TIER_SHARE = {"fast": 0.71, "standard": 0.24, "heavy": 0.05}
TOKENS = {"fast": (2000, 300), "standard": (4000, 800), "heavy": (8000, 2000)}


def _fixture() -> tuple[User, list[Team]]:
    user, _ = User.objects.get_or_create(username="bench-gateway")
    user.groups.add(Group.objects.get(name="finance"))
    vendors = {}
    for slug, name in (("anthropic", "Bench Anthropic"), ("openai", "Bench OpenAI")):
        vendors[slug], _ = Vendor.objects.get_or_create(
            slug=f"bench-gw-{slug}", defaults={"name": name, "hosting_model": "cloud_api"}
        )
    for family, version, tier, logged, _share, price_in, price_out in MODELS:
        ModelVersion.objects.get_or_create(
            vendor=vendors[logged.split("/")[0]],
            family=family,
            version=version,
            defaults={
                "tier": tier,
                "price_input_per_mtok": price_in,
                "price_cached_input_per_mtok": Decimal(price_in) / 10,
                "price_output_per_mtok": price_out,
                "released_on": datetime(2025, 1, 1).date(),
            },
        )
    teams = [
        Team.objects.get_or_create(
            name=f"bench-gw-{n:02d}",
            defaults={"gateway_key": f"bench-team-{n:02d}", "cost_centre": f"B{n}", "headcount": 8},
        )[0]
        for n in range(12)
    ]
    return user, teams


def write_csv(path: Path, rows: int, teams: list[Team], seed: int = 7) -> None:
    """Write `rows` LiteLLM spend-log rows over 30 days of November 2026."""
    rng = random.Random(seed)  # noqa: S311 - a repeatable data set, not a secret
    choices, weights = [], []
    for _family, _version, tier, logged, share, price_in, price_out in MODELS:
        choices.append((logged, tier, Decimal(price_in), Decimal(price_out)))
        weights.append(TIER_SHARE[tier] * share)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    run = f"{time.time_ns():x}"
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i in range(rows):
            logged, tier, price_in, price_out = rng.choices(choices, weights)[0]
            team = teams[i % len(teams)]
            prompt_base, completion_base = TOKENS[tier]
            prompt = int(prompt_base * rng.uniform(0.5, 1.5))
            completion = int(completion_base * rng.uniform(0.5, 1.5))
            cached = int(prompt * rng.choice((0, 0.3, 0.5, 0.8)))
            spend = (prompt * price_in + completion * price_out) / 1_000_000
            at = start + timedelta(seconds=i * 2_592_000 // rows)
            metadata = {
                "user_api_key_team_alias": team.name,
                "user_api_key_alias": "bench-key",
                "usage_object": {"prompt_tokens_details": {"cached_tokens": cached}},
            }
            stamp = at.isoformat()
            out.writerow(
                [
                    f"bench-{run}-{i}", "acompletion", "hashed-key", f"{spend:.8f}",
                    prompt + completion, prompt, completion, stamp, stamp, stamp, logged, "",
                    logged.split("/")[1], logged.split("/")[0], "", f"dev{i % 400}",
                    json.dumps(metadata), "False", "", '["bench"]', team.gateway_key, "", "",
                    "success",
                ]
            )  # fmt: skip


def _clean(teams: list[Team]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM governance_gatewayrequest WHERE request_id LIKE 'bench-%%'")
    days = GatewayDaily.objects.filter(team__in=teams)
    months = set(days.dates("day", "month"))
    days.delete()
    gateway_months_refresh(months=months)
    Spend.objects.filter(team__in=teams).delete()


def time_import(path: Path, user: User) -> float:
    """Seconds to import the file as the command does."""
    began = time.perf_counter()
    run = import_create(kind=ImportKind.GATEWAY_LOGS, actor=user, path=str(path))
    run = import_execute(run_id=run.pk)
    elapsed = time.perf_counter() - began
    assert run.status == ImportStatus.SUCCEEDED, run.errors[:5]
    assert run.created == run.rows_read, (run.created, run.rows_read)
    return elapsed


def time_copy(path: Path) -> float:
    """Seconds to COPY the same file into a bare table with the same columns."""
    columns = ", ".join(f'"{name}" {BARE_TYPES.get(name, "text")}' for name in HEADER)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_gateway_copy")
        cursor.execute(f"CREATE TABLE bench_gateway_copy ({columns})")
        began = time.perf_counter()
        with (
            path.open("rb") as handle,
            cursor.copy("COPY bench_gateway_copy FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - began
        cursor.execute("DROP TABLE bench_gateway_copy")
    return elapsed


def main() -> None:
    """Write the file, time both, print P5."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="Write the CSV here and keep it.")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("P5 compares against PostgreSQL COPY: set DATABASE_URL to a PostgreSQL database.")
    user, teams = _fixture()
    _clean(teams)
    folder = tempfile.TemporaryDirectory()
    path = Path(args.keep) if args.keep else Path(folder.name) / "litellm_spend_logs.csv"
    began = time.perf_counter()
    write_csv(path, args.rows, teams)
    print(f"wrote {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in "
          f"{time.perf_counter() - began:.1f}s")  # fmt: skip
    imported = time_import(path, user)
    copied = time_copy(path)
    _clean(teams)
    folder.cleanup()
    ratio = copied / imported
    print(
        f"P5 gateway-import/COPY = {ratio:.2f} (import {args.rows / imported:,.0f} rows/s, "
        f"copy {args.rows / copied:,.0f} rows/s; import {imported:.1f}s, copy {copied:.1f}s)"
    )


if __name__ == "__main__":
    main()

"""Benchmark: bulk measurement ingest through the API versus PostgreSQL COPY of the same rows.

Prints ratios measured in one run (not timings to compare across machines):
  python bench/ingest.py [--rows 10000]
Uses the configured DATABASE_URL (PostgreSQL for the COPY baseline); it creates its own
pilot and removes its rows afterwards.
"""

import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.config.settings")

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from governance.models import Measurement, Metric, Pilot  # noqa: E402
from vendors.models import Offering, Vendor  # noqa: E402

# Values below 1 suit all three (the defect escape rate is a ratio from 0 to 1).
METRICS = ["reviewer-load", "defect-escape-rate", "feature-throughput"]


def _start(n: int) -> date:
    """The pilot's first day, so that n rows (one a metric a day) end the day before today:
    the API refuses a period that is not over yet."""
    return timezone.localdate() - timedelta(days=-(-n // len(METRICS)))


def _fixture(n: int) -> tuple[User, Pilot]:
    user, _ = User.objects.get_or_create(username="bench-platform")
    user.groups.add(Group.objects.get(name="platform"))
    vendor, _ = Vendor.objects.get_or_create(
        slug="bench", defaults={"name": "Bench vendor", "hosting_model": "on_prem"}
    )
    offering, _ = Offering.objects.get_or_create(vendor=vendor, name="Bench", kind="chat")
    start = _start(n)
    # Created directly (not through the lifecycle): a benchmark needs a running pilot, fast.
    pilot, _ = Pilot.objects.get_or_create(
        title="Bench pilot",
        defaults={
            "owner": user,
            "offering": offering,
            "agentic": False,
            "workflows": ["other"],
            "use_case": "bench",
            "planned_start": start,
            "planned_end": start + timedelta(75),
            "status": "running",
            "started_on": start,
        },
    )
    if pilot.started_on != start:
        # A pilot made on another day (or for another n): its rows must still end yesterday.
        Pilot.objects.filter(pk=pilot.pk).update(
            started_on=start, planned_start=start, planned_end=start + timedelta(75)
        )
        pilot.refresh_from_db()
    return user, pilot


def _rows(pilot: Pilot, n: int, value: str) -> list[dict]:
    rows = []
    for i in range(n):
        day = pilot.started_on + timedelta(days=i // len(METRICS))
        rows.append(
            {
                "pilot": pilot.pk,
                "metric": METRICS[i % len(METRICS)],
                "tier": "",
                "period_start": day.isoformat(),
                "period_end": day.isoformat(),
                "value": value,
                "sample_size": 10,
            }
        )
    return rows


def run(n: int) -> dict:
    """Post n new rows, then n changed rows, through the API; COPY the same rows; return figures."""
    user, pilot = _fixture(n)
    Measurement.objects.filter(pilot=pilot).delete()
    client = APIClient()
    client.force_authenticate(user)
    figures: dict = {"rows": n, "database": connection.vendor}
    # Warm up (URL resolver, imports, first connection) so the figure is the steady state.
    client.post(
        "/api/v1/measurements/bulk/", {"measurements": _rows(pilot, 3, "0.1")}, format="json"
    )
    Measurement.objects.filter(pilot=pilot).delete()

    rows = _rows(pilot, n, "0.42")
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        began = time.perf_counter()
        response = client.post("/api/v1/measurements/bulk/", {"measurements": rows}, format="json")
        api_create = time.perf_counter() - began
    assert response.status_code == 200, response.content[:500]
    figures["api_create_rows_per_s"] = n / api_create
    figures["create_queries"] = len(ctx)

    updated = _rows(pilot, n, "0.43")
    with CaptureQueriesContext(connection) as ctx:
        began = time.perf_counter()
        client.post("/api/v1/measurements/bulk/", {"measurements": updated}, format="json")
        api_update = time.perf_counter() - began
    figures["api_update_rows_per_s"] = n / api_update
    figures["update_queries"] = len(ctx)
    if connection.vendor == "postgresql":
        Measurement.objects.filter(pilot=pilot).delete()
        metrics = {m.code: m.pk for m in Metric.objects.all()}
        began = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY governance_measurement (pilot_id, metric_id, tier, period_start, period_end, "
                "value, sample_size, source, recorded_at) FROM STDIN"
            ) as copy,
        ):
            for r in rows:
                copy.write_row(
                    (
                        pilot.pk,
                        metrics[r["metric"]],
                        "",
                        r["period_start"],
                        r["period_end"],
                        r["value"],
                        10,
                        "api",
                        "2026-01-01T00:00:00Z",
                    )
                )
        copy_time = time.perf_counter() - began
        figures["copy_rows_per_s"] = n / copy_time
        figures["ratio"] = (n / api_create) / (n / copy_time)
    Measurement.objects.filter(pilot=pilot).delete()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    f = run(parser.parse_args().rows)
    print(f"rows={f['rows']} database={f['database']}")
    print(f"api_create_rows_per_s={f['api_create_rows_per_s']:.0f} queries={f['create_queries']}")
    print(f"api_update_rows_per_s={f['api_update_rows_per_s']:.0f} queries={f['update_queries']}")
    if "ratio" in f:
        print(f"copy_rows_per_s={f['copy_rows_per_s']:.0f}")
        print(f"P1_ingest_vs_copy_ratio={f['ratio']:.3f}")


if __name__ == "__main__":
    main()

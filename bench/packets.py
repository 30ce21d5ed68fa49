"""Benchmark: rendering a ~20-page sign-off packet through the service versus WeasyPrint alone.

Prints a ratio measured in one run (not timings to compare across machines):
  python bench/packets.py [--items 110] [--repeat 3]
The service path is everything a worker does (read the subject, build the context, render the
template, WeasyPrint, count pages, hash, store the file, append to the chain); the baseline is
WeasyPrint rendering the very same final HTML directly. The packet is a quarterly program
review over --items running pilots (measured weekly against baselines, with spend), or with
--kind assessment a vendor assessment with --items checklist items, each satisfied with one
evidence file.
Runs in a throwaway SQLite database and media directory, so it touches no real data.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
WORK = Path(tempfile.mkdtemp(prefix="tollgate-bench-packets-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.config.settings")
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORK / "media")
os.environ.pop("CELERY_BROKER_URL", None)  # tasks run in-process; the service is timed

import django  # noqa: E402  (after the environment above is set)

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402
from weasyprint import HTML  # noqa: E402

from governance.models import Packet  # noqa: E402
from governance.pdf import STATIC_SCHEME, StaticOnlyFetcher, pdf_pages  # noqa: E402
from governance.services.packets import packet_html, packet_render, packet_request  # noqa: E402
from vendors.models import ChecklistItem, Evidence, Response, Vendor  # noqa: E402
from vendors.services.assessments import assessment_open  # noqa: E402


def _assessment(items: int, user: User) -> int:
    """An assessment of `items` extra checklist items, all satisfied with one evidence file."""
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            code=f"bench-{i:04d}",
            title=f"Bench control {i}: prompts and completions stay in the agreed region",
            category="security",
            guidance="Evidence of the control in operation.",
            owner_role="security",
            position=1000 + i,
        )
        for i in range(items)
    )
    vendor = Vendor.objects.create(name="Bench Vendor", slug="bench", hosting_model="cloud_api")
    assessment = assessment_open(vendor=vendor, actor=user)
    now = timezone.now()
    # Written directly (not through the review services): a benchmark needs the rows, fast.
    Response.objects.filter(assessment=assessment).update(
        status="satisfied", verdict_by=user, verdict_at=now, comment="Seen in the vendor's SOC 2."
    )
    Evidence.objects.bulk_create(
        Evidence(
            response=r,
            file=f"evidence/{assessment.pk}/{r.pk:064x}.pdf",
            original_name=f"{r.item.code}-soc2-extract.pdf",
            kind="pdf",
            size=48_213,
            sha256=f"{r.pk:064x}",
            uploaded_by=user,
        )
        for r in Response.objects.filter(assessment=assessment).select_related("item")
    )
    return assessment.pk


def _quarterly_review(pilots: int, user: User) -> int:
    """A signed program review over `pilots` running pilots with 20 weeks of measurements."""
    from datetime import timedelta
    from decimal import Decimal

    from governance.models import (
        Baseline,
        KillCriterion,
        Measurement,
        Metric,
        Pilot,
        RateCard,
        Spend,
        Team,
    )
    from governance.services import finance as fs
    from vendors.models import Offering

    vendor = Vendor.objects.create(
        name="Bench Cloud", slug="bench-cloud", hosting_model="cloud_api"
    )
    offering = Offering.objects.create(vendor=vendor, name="Bench Agent", kind="ide_assistant")
    metrics = {m.code: m for m in Metric.objects.all()}
    today = timezone.localdate()
    start = today - timedelta(days=20 * 7)
    RateCard.objects.create(
        effective_from=start - timedelta(days=365),
        loaded_hourly_rate=Decimal(120),
        senior_hourly_rate=Decimal(160),
    )
    # Written directly (not through the pilot services): a benchmark needs the rows, fast.
    for n in range(pilots):
        team = Team.objects.create(name=f"Bench team {n}", cost_centre=f"B{n}", headcount=12)
        pilot = Pilot.objects.create(
            title=f"Bench pilot {n}: agentic refactors in service {n}",
            owner=user,
            offering=offering,
            workflows=["multi_file_refactor"],
            use_case="Refactoring at scale.",
            agentic=False,
            planned_start=start,
            planned_end=start + timedelta(days=75),
            status="running",
            started_on=start,
        )
        pilot.teams.add(team)
        series = [
            ("cycle-time", "standard", Decimal("30"), Decimal("-0.3")),
            ("cycle-time", "complex", Decimal("70"), Decimal("-0.8")),
            ("reviewer-load", "", Decimal("40"), Decimal("-0.2")),
            ("defect-escape-rate", "", Decimal("0.14"), Decimal("0")),
            ("feature-throughput", "", Decimal("20"), Decimal("0.2")),
            ("prs-per-engineer-month", "", Decimal("5"), Decimal("0.05")),
        ]
        for code, tier, base, step in series:
            Baseline.objects.create(
                pilot=pilot,
                metric=metrics[code],
                tier=tier,
                value=base,
                sample_size=100,
                period_start=start - timedelta(days=120),
                period_end=start - timedelta(days=30),
            )
            Measurement.objects.bulk_create(
                Measurement(
                    pilot=pilot,
                    metric=metrics[code],
                    tier=tier,
                    period_start=start + timedelta(days=7 * w),
                    period_end=start + timedelta(days=7 * w + 6),
                    value=base + step * w,
                    sample_size=25,
                )
                for w in range(20)
            )
        KillCriterion.objects.create(
            pilot=pilot,
            metric=metrics["reviewer-load"],
            comparator="worse_pct",
            threshold=Decimal(20),
            evaluate_from_day=60,
        )
        for m in range(5):
            month = (today.replace(day=1) - timedelta(days=31 * m)).replace(day=1)
            for category, amount in (("seats", 1900), ("inference_heavy", 1400)):
                Spend.objects.create(
                    month=month,
                    amount=Decimal(amount),
                    scope="pilot",
                    pilot=pilot,
                    vendor=vendor,
                    category=category,
                )
    review = fs.review_decide(
        actor=user,
        quarter=f"{today.year}-Q{(today.month - 1) // 3 + 1}",
        scope="program",
        offering=offering,
        decision="expand",
        seat_delta=120,
        rationale="Every pilot cut cycle time without raising reviewer load.",
    )
    return fs.review_sign(review=review, actor=user, role="finance", decision="approve").pk


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--kind", default="quarterly_review", choices=["quarterly_review", "assessment"]
    )
    parser.add_argument(
        "--items",
        type=int,
        default=None,
        help="pilots in the reviewed program (default 8: ~21 pages), or checklist items for "
        "an assessment (default 110: ~20 pages)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if args.kind == "assessment":
        args.items = args.items or 110
        user, _ = User.objects.get_or_create(username="bench-security")
        user.groups.add(Group.objects.get(name="security"))
        subject_id = _assessment(args.items, user)
    else:
        args.items = args.items or 8
        user, _ = User.objects.get_or_create(username="bench-finance")
        user.groups.add(Group.objects.get(name="finance"))
        subject_id = _quarterly_review(args.items, user)

    service, direct, pages = [], [], 0
    for _ in range(args.repeat):
        seconds, packet = _timed(
            lambda: packet_render(
                packet_id=packet_request(kind=args.kind, subject_id=subject_id, actor=user).pk
            )
        )
        assert packet.status == "ready", packet.error
        service.append(seconds)
        pages = packet.page_count
        # The same final HTML the service rendered (same packet, same facts).
        html, _ = packet_html(Packet.objects.get(pk=packet.pk))
        seconds, data = _timed(
            lambda html=html: HTML(
                string=html, base_url=STATIC_SCHEME, url_fetcher=StaticOnlyFetcher()
            ).write_pdf()
        )
        direct.append(seconds)
        assert pdf_pages(data) == pages

    s, d = statistics.median(service), statistics.median(direct)
    what = "pilots in the program" if args.kind == "quarterly_review" else "checklist items"
    print(f"packet kind {args.kind}: {pages} pages ({args.items} {what})")
    print(f"through the service (median of {args.repeat}): {s:.2f} s")
    print(f"WeasyPrint on the same HTML (median of {args.repeat}): {d:.2f} s")
    print(f"service / direct = {s / d:.2f}x (overhead {100 * (s - d) / d:.0f}%)")


if __name__ == "__main__":
    main()

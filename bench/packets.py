"""Benchmark: rendering a ~20-page sign-off packet through the service versus WeasyPrint alone.

Prints a ratio measured in one run (not timings to compare across machines):
  python bench/packets.py [--items 110] [--repeat 3]
The service path is everything a worker does (read the subject, build the context, render the
template, WeasyPrint, count pages, hash, store the file, append to the chain); the baseline is
WeasyPrint rendering the very same final HTML directly. The packet is a vendor assessment
with --items checklist items, each satisfied with one evidence file; the kind is one argument
(--kind) so a larger kind can be benchmarked the same way when it exists.
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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
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
from vendors import services as vs  # noqa: E402
from vendors.models import ChecklistItem, Evidence, Response, Vendor  # noqa: E402


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
    assessment = vs.assessment_open(vendor=vendor, actor=user)
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


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="assessment", choices=["assessment"])
    parser.add_argument("--items", type=int, default=110, help="checklist items (110: ~20 pages)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(username="bench-security")
    user.groups.add(Group.objects.get(name="security"))
    subject_id = _assessment(args.items, user)

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
    print(f"packet kind {args.kind}: {pages} pages ({args.items} extra checklist items)")
    print(f"through the service (median of {args.repeat}): {s:.2f} s")
    print(f"WeasyPrint on the same HTML (median of {args.repeat}): {d:.2f} s")
    print(f"service / direct = {s / d:.2f}x (overhead {100 * (s - d) / d:.0f}%)")


if __name__ == "__main__":
    main()

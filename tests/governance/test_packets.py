"""Sign-off packets: each kind rendered and read back, the hash chain, verification, safety."""

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied

from governance.models import Packet
from governance.models.packets import SEAL_VERSION
from governance.pdf import RefusedFetch, StaticOnlyFetcher, html_to_pdf, pdf_text
from governance.services.packets import packet_request, packet_retry, packet_verify
from tests.conftest import service_missing
from tests.governance.tamper import guards_off
from vendors.kit.errors import DomainError

pytestmark = pytest.mark.django_db

ARTIFACTS = os.environ.get("TOLLGATE_TEST_ARTIFACTS")


def _text(packet: Packet) -> str:
    """The packet's text with line breaks and runs of spaces folded to single spaces."""
    with packet.file.open("rb") as handle:
        return " ".join(pdf_text(handle.read()).split())


def _compact(text: str) -> str:
    """Text without spaces, for hashes that wrap across lines."""
    return text.replace(" ", "")


def _page_one_png(packet: Packet, tmp_path: Path) -> Path:
    """Page 1 as a PNG, kept as a test artifact when TOLLGATE_TEST_ARTIFACTS is set."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        service_missing("pdftoppm (Debian's poppler-utils) is not installed")
    target = Path(ARTIFACTS) if ARTIFACTS else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    prefix = target / f"packet-{packet.kind}-page1"
    # A fixed argument list and paths the test made: nothing untrusted reaches the command.
    args = ["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", packet.file.path, str(prefix)]
    subprocess.run(  # noqa: S603
        [pdftoppm, *args],
        check=True,
        timeout=60,
    )
    return prefix.with_suffix(".png")


def _assert_page_one(packet, tmp_path):
    png = _page_one_png(packet, tmp_path)
    assert png.read_bytes().startswith(b"\x89PNG")
    assert png.stat().st_size > 2000


def test_it_renders_an_assessment_packet_with_verdicts_evidence_and_signers(
    render_packet_of, approved_assessment, ai_pm, tmp_path
):
    packet = render_packet_of("assessment", approved_assessment, ai_pm)
    assert packet.status == "ready", packet.error
    text = _text(packet)
    mandatory = approved_assessment.responses.filter(item__mandatory=True).count()
    assert "Acme AI" in text
    assert f"Approved: {mandatory} of {mandatory} mandatory items satisfied" in text
    assert packet.summary.startswith(f"Approved: {mandatory} of {mandatory} mandatory")
    evidence = approved_assessment.responses.first().evidence.first()
    assert evidence.original_name in text
    assert evidence.sha256 in _compact(text)
    assert "Security" in text and "Legal" in text and "security" in text and "legal" in text
    assert f"Tollgate packet #{packet.pk}" in text
    assert f"page 1 of {packet.page_count}" in text
    assert f"page {packet.page_count} of {packet.page_count}" in text
    _assert_page_one(packet, tmp_path)


def test_it_renders_a_shortlist_packet(render_packet_of, published, auditor, security, tmp_path):
    packet = render_packet_of("shortlist", published, security)
    assert packet.status == "ready", packet.error
    text = _text(packet)
    assert "Published: version 1 with 3 providers" in text
    for name in ("Helix", "Cirrus", "Meridian"):
        assert name in text
    assert "On-prem open weights" in text
    assert "Approve" in text
    _assert_page_one(packet, tmp_path)


def test_it_renders_a_pilot_charter_packet(render_packet_of, approved_pilot, finance, tmp_path):
    packet = render_packet_of("pilot_charter", approved_pilot, finance)
    assert packet.status == "ready", packet.error
    text = _text(packet)
    assert "Helix in payments" in text
    assert "Approved on" in packet.summary
    assert "1 team, 1 workflow, 75 days, 4 baselines, 1 kill criterion" in packet.summary
    assert "kill if reviewer minutes per PR is 20% worse than baseline" in text
    assert "Finance" in text and "Security" in text
    assert approved_pilot.charter_digest in _compact(text)
    _assert_page_one(packet, tmp_path)


def test_it_renders_a_checkpoint_packet_with_the_decision(
    render_packet_of, evaluation, ai_pm, tmp_path
):
    packet = render_packet_of("checkpoint", evaluation, ai_pm)
    assert packet.status == "ready", packet.error
    text = _text(packet)
    assert "Kill recommended at day 90: 1 of 1 kill criteria breached" in text
    assert "Breached" in text
    assert "Reviewer minutes per PR" in text or "reviewer minutes per PR" in text
    _assert_page_one(packet, tmp_path)


def test_it_renders_a_quarterly_review_packet_with_roi_sensitivity_and_signers(
    render_packet_of, decide, finance, tmp_path
):
    from governance.services import finance as fs

    review = fs.review_sign(
        review=decide(decision="kill", rationale="Net ROI does not cover the <script> risk."),
        actor=finance,
        role="finance",
        decision="approve",
    )
    packet = render_packet_of("quarterly_review", review, finance)
    assert packet.status == "ready", packet.error
    text = _text(packet)
    assert packet.summary == (
        "Signed: kill for pilot Helix in payments in 2027-Q2; audited net return 110.0% of "
        "spend (benefit 2.10x spend), payback 1.5 months; seats +0; annual budget +$0.00"
    )
    assert "Kill — pilot Helix in payments, 2027-Q2" in text
    assert "Net ROI does not cover the <script> risk." in text
    assert "The pilot was closed as killed." in text
    assert "Audited (measured only)" in text and "Best case" in text
    assert "measured: baseline minus current cycle time" in text  # each input's source
    assert "Sensitivity" in text and "+100%" in text and "heavy share +10 pts" in text
    assert "Spend to date: $17,000.00" in text
    # Every figure for people, named in words; the machine names stay in the API.
    for shown in (
        "Total benefit a year $75,600.00",
        "Net return on AI spend 110.0%",
        "Benefit multiple (benefit / annual AI spend) 2.10x",
        "Payback of one-time costs 1.5 months",
        "Engineer hours saved a year 720 h",
        "annual budget change +$0.00",
        "Effort factor",
    ):
        assert shown in text, shown
    for machine in ("net_roi", "annual_pr_volume", "total_benefit", "payback_months"):
        assert machine not in text, machine
    assert "Finance" in text and "finance" in text  # the sign-off table
    _assert_page_one(packet, tmp_path)


def test_settings_keep_packets_in_private_media(render_packet_of, published, security):
    packet = render_packet_of("shortlist", published, security)
    assert Path(packet.file.path).is_relative_to(Path(settings.MEDIA_ROOT))
    assert packet.file.name == f"packets/{packet.pk}/{packet.sha256}.pdf"


# --- the chain and verification ---------------------------------------------------------------


@pytest.fixture
def chain(render_packet_of, published, security, legal, auditor):
    """Three ready packets of the same shortlist, rendered one after the other."""
    return [render_packet_of("shortlist", published, user) for user in (security, legal, security)]


def _bytes(packet):
    with packet.file.open("rb") as handle:
        return handle.read()


def test_ready_packets_form_one_chain(chain):
    first, second, third = chain
    assert [p.sequence for p in chain] == [1, 2, 3]
    assert (first.previous_packet, first.previous_hash) == (None, "")
    # Each link chains to its predecessor's seal, which covers the PDF's hash and metadata.
    assert (second.previous_packet, second.previous_hash) == (first.pk, first.seal)
    assert (third.previous_packet, third.previous_hash) == (second.pk, second.seal)
    assert all(p.seal == p.compute_seal() and p.seal_version == SEAL_VERSION for p in chain)


def test_a_genuine_file_verifies_and_says_what_it_certifies(chain):
    result = packet_verify(data=_bytes(chain[1]))
    assert (result.packet, result.matches, result.chain_intact) == (chain[1], True, True)
    assert result.message == (
        f"This file is packet #{chain[1].pk} (link 2 of the chain); the chain up to it is intact."
    )
    assert f"Shortlist version #{chain[1].subject_id} " in result.certifies
    assert "Published: version 1 with 3 providers" in result.certifies


def test_a_flipped_byte_fails_verification(chain):
    data = bytearray(_bytes(chain[2]))
    data[len(data) // 2] ^= 0x01
    result = packet_verify(data=bytes(data))
    assert (result.packet, result.matches) == (None, False)
    assert result.message.startswith(
        f"This file matches no packet Tollgate issued: it carries the title of packet "
        f"#{chain[2].pk}, but its SHA-256 differs"
    )


def test_a_tampered_stored_file_is_named(chain):
    middle = chain[1]
    data = bytearray(_bytes(middle))
    data[-10] ^= 0xFF
    Path(middle.file.path).write_bytes(bytes(data))
    by_id = packet_verify(packet_id=middle.pk)
    assert by_id.matches is False
    assert by_id.problems == [f"packet #{middle.pk}'s file does not match its stored hash"]
    later = packet_verify(data=_bytes(chain[2]))
    assert later.matches is True
    assert later.chain_intact is False
    assert later.message.endswith(f"packet #{middle.pk}'s file does not match its stored hash.")


def test_a_deleted_middle_packet_is_named_by_the_chain_check(chain):
    first, middle, last = chain
    # What a person with database access might do; no service, admin page or API route can.
    with guards_off():
        Packet.objects.filter(pk=middle.pk).delete()
    result = packet_verify(packet_id=last.pk)
    assert result.matches is True
    assert result.chain_intact is False
    assert result.problems == [f"packet #{middle.pk} is missing between #{first.pk} and #{last.pk}"]
    assert packet_verify(packet_id=first.pk).chain_intact is True


def test_a_deleted_file_is_named(chain):
    Path(chain[0].file.path).unlink()
    result = packet_verify(packet_id=chain[2].pk)
    assert result.problems == [f"packet #{chain[0].pk}'s file is missing"]


# --- robustness -------------------------------------------------------------------------------


def test_user_text_renders_as_text_not_markup(render_packet_of, approve_vendor, security):
    from vendors.models import Assessment

    vendor = approve_vendor("<script>alert(1)</script>")
    tricky = approve_vendor("</td><td>")
    packet = render_packet_of("assessment", Assessment.objects.get(vendor=vendor), security)
    assert packet.status == "ready", packet.error
    assert "<script>alert(1)</script>" in _text(packet)
    packet = render_packet_of("assessment", Assessment.objects.get(vendor=tricky), security)
    text = _text(packet)
    assert "</td><td>" in text
    assert "Assessment #" in text and "of </td><td>" in text


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "http://example.com/x.png", "https://example.com/x.css", "ftp://x/y"],
)
def test_the_fetcher_refuses_anything_but_static_files(url):
    refused = re.escape(f"Packets fetch only the app's static files; refused {url!r}.")
    with pytest.raises(RefusedFetch, match=refused):
        StaticOnlyFetcher().fetch(url)
    with pytest.raises(RefusedFetch, match=refused):
        html_to_pdf(f'<img src="{url}"><link rel="stylesheet" href="{url}">')


def test_the_fetcher_serves_the_apps_static_files_only():
    response = StaticOnlyFetcher().fetch("tollgate-static:pdf/mark.svg")
    assert response.headers["Content-Type"] == "image/svg+xml"
    with pytest.raises(RefusedFetch, match=re.escape("No such static file: 'tollgate-static:../")):
        StaticOnlyFetcher().fetch("tollgate-static:../../governance/config/settings.py")


def test_a_refused_fetch_fails_the_packet_with_its_error(
    render_packet_of, published, security, monkeypatch
):
    from governance.services import packets as service

    def evil(packet):
        html, stored = real(packet)
        return html.replace("tollgate-static:pdf/mark.svg", "file:///etc/passwd"), stored

    real = service.packet_html
    monkeypatch.setattr(service, "packet_html", evil)
    packet = render_packet_of("shortlist", published, security)
    assert packet.status == "failed"
    assert "refused 'file:///etc/passwd'" in packet.error
    assert list(packet.history.values_list("to_status", flat=True)) == [
        "queued",
        "rendering",
        "failed",
    ]


def test_a_failed_packet_is_retried_into_the_same_packet(
    render_packet_of, published, security, monkeypatch, django_capture_on_commit_callbacks
):
    from governance.services import packets as service

    real = service.packet_html
    monkeypatch.setattr(service, "packet_html", lambda p: (_ for _ in ()).throw(OSError("disk")))
    packet = render_packet_of("shortlist", published, security)
    assert (packet.status, packet.error) == ("failed", "OSError: disk")
    monkeypatch.setattr(service, "packet_html", real)
    with django_capture_on_commit_callbacks(execute=True):
        packet_retry(packet=packet, actor=security)
    packet.refresh_from_db()
    assert (packet.status, packet.error, packet.attempts) == ("ready", "", 2)
    assert Packet.objects.count() == 1
    assert packet.history.last().reason == "rendered 2 pages"


def test_a_repeated_delivery_never_makes_a_second_packet_or_rerenders(
    render_packet_of, published, security
):
    from governance.tasks import render_packet

    packet = render_packet_of("shortlist", published, security)
    for _ in range(2):
        assert render_packet.apply(args=[packet.pk]).get()["status"] == "ready"
    again = Packet.objects.get()
    assert (again.sha256, again.sequence, again.attempts) == (packet.sha256, 1, 1)
    assert again.history.count() == 3


def test_a_delivery_after_a_lost_worker_finishes_the_render(published, security):
    from governance.tasks import render_packet

    packet = packet_request(kind="shortlist", subject_id=published.pk, actor=security)
    # The on_commit never ran; a worker took the task, moved it to rendering, then died.
    Packet.objects.filter(pk=packet.pk).update(status="rendering", attempts=1)
    assert render_packet.apply(args=[packet.pk]).get()["status"] == "ready"
    packet.refresh_from_db()
    assert (packet.status, packet.attempts, packet.sequence) == ("ready", 2, 1)


def test_requesting_twice_while_in_flight_returns_the_same_packet(published, security, legal):
    first = packet_request(kind="shortlist", subject_id=published.pk, actor=security)
    second = packet_request(kind="shortlist", subject_id=published.pk, actor=legal)
    assert first == second
    assert Packet.objects.count() == 1


def test_the_task_acks_late_and_retries_transient_database_errors():
    from django.db import OperationalError

    from governance.tasks import render_packet
    from vendors.kit.errors import TRANSIENT_DB_ERRORS as TRANSIENT_ERRORS

    assert OperationalError in TRANSIENT_ERRORS
    assert render_packet.autoretry_for == TRANSIENT_ERRORS
    assert (render_packet.acks_late, render_packet.reject_on_worker_lost) == (True, True)
    assert render_packet.max_retries == 5


def test_a_charter_packet_waits_for_approval(pilot, ai_pm):
    with pytest.raises(DomainError, match="once the charter is approved"):
        packet_request(kind="pilot_charter", subject_id=pilot.pk, actor=ai_pm)


def test_platform_cannot_request_an_assessment_packet(approved_assessment, platform):
    with pytest.raises(
        PermissionDenied,
        match="You may not see this vendor assessment, so you may not request its packet",
    ):
        packet_request(kind="assessment", subject_id=approved_assessment.pk, actor=platform)


def test_the_auditor_cannot_request_packets(published, auditor):
    with pytest.raises(PermissionDenied, match=re.escape("(governance.add_packet)")):
        packet_request(kind="shortlist", subject_id=published.pk, actor=auditor)


# --- immutability ---------------------------------------------------------------------------


def test_services_refuse_to_touch_a_ready_packet(chain, security):
    with pytest.raises(DomainError, match="only a failed packet is retried"):
        packet_retry(packet=chain[0], actor=security)
    chain[0].summary = "edited"
    with pytest.raises(DomainError, match="never changes"):
        chain[0].save()
    with pytest.raises(DomainError, match="never deleted"):
        chain[0].delete()


def test_the_database_refuses_to_change_a_ready_packet(chain):
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError, match=r"immutable|is sealed"), transaction.atomic():
        Packet.objects.filter(pk=chain[0].pk).update(sha256="0" * 64)
    chain[0].refresh_from_db()
    assert chain[0].sha256 != "0" * 64


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_renders_a_packet_once(celery_worker_available, published, security):
    from governance.tasks import render_packet

    # transaction=True: the request's on_commit queues the task to the worker at once.
    packet = packet_request(kind="shortlist", subject_id=published.pk, actor=security)
    # A second delivery of the same packet (what a retry or redelivery looks like).
    payload = render_packet.delay(packet.pk).get(timeout=120)
    assert payload["hostname"]  # the worker's node name: it ran in another process
    packet.refresh_from_db()
    assert (packet.status, packet.sequence) == ("ready", 1)
    # The worker stores under the configured MEDIA_ROOT, not this test's temporary one.
    from governance.config.settings import MEDIA_ROOT as WORKER_MEDIA_ROOT

    stored = (WORKER_MEDIA_ROOT / packet.file.name).read_bytes()
    assert packet.sha256 == hashlib.sha256(stored).hexdigest()
    assert packet.page_count >= 1
    assert Packet.objects.filter(kind="shortlist", status="ready").count() == 1

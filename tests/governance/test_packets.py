"""Sign-off packets: each kind rendered and read back, the hash chain, verification, safety."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from governance.models import Packet
from governance.pdf import pdf_text
from tests.conftest import service_missing

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


def test_settings_keep_packets_in_private_media(render_packet_of, published, security):
    packet = render_packet_of("shortlist", published, security)
    assert Path(packet.file.path).is_relative_to(Path(settings.MEDIA_ROOT))
    assert packet.file.name == f"packets/{packet.pk}/{packet.sha256}.pdf"

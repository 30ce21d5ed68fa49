"""The verify page as an auditor uses it: pass and fail told apart, and what failed named."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from governance.models import Packet
from governance.services.packets import packet_verify
from tests.governance.tamper import guards_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(render_packet_of, published, security, legal):
    """Three ready packets of the same shortlist, rendered one after the other."""
    return [render_packet_of("shortlist", published, user) for user in (security, legal, security)]


def _bytes(packet: Packet) -> bytes:
    with packet.file.open("rb") as handle:
        return handle.read()


def _upload(client, data: bytes) -> str:
    upload = SimpleUploadedFile("packet.pdf", data, "application/pdf")
    return client.post("/packets/verify/", {"file": upload}).content.decode()


def _changed(data: bytes) -> bytes:
    """One byte flipped in the middle of the file, where the page content is."""
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0x01
    return bytes(flipped)


@pytest.fixture
def page(client, auditor):
    client.force_login(auditor)
    return client


def test_it_shows_a_genuine_file_as_a_pass(page, chain):
    html = _upload(page, _bytes(chain[1]))
    assert 'class="card verdict verdict-pass"' in html
    assert 'data-outcome="genuine"' in html and "✔" in html and "<strong>Genuine</strong>" in html
    assert f"This file is packet #{chain[1].pk}" in html
    assert "verdict-fail" not in html and "What failed" not in html


def test_it_names_a_changed_file_and_the_packet_it_claims_to_be(page, chain):
    html = _upload(page, _changed(_bytes(chain[2])))
    assert 'class="card verdict verdict-fail"' in html and "✖" in html
    assert "Not genuine: file changed" in html
    assert f"carries the title of packet #{chain[2].pk}" in html
    assert f"recorded for packet #{chain[2].pk}" in html
    assert "Chain intact up to it" not in html  # a file outside the chain has no place in it


def test_it_names_a_file_that_is_not_a_tollgate_packet(page, chain):
    for data in (b"%PDF-1.7 not really", b"hello"):
        html = _upload(page, data)
        assert 'data-outcome="not_tollgate"' in html
        assert "Not genuine: not a tollgate packet" in html
        assert "it is not a Tollgate packet" in html


def test_it_names_an_unknown_id(page, chain):
    html = page.get("/packets/verify/?id=987654").content.decode()
    assert 'data-outcome="unknown_id"' in html and "verdict-fail" in html
    assert "Not genuine: unknown packet id" in html
    assert "There is no ready packet #987654." in html


def test_it_names_the_first_broken_link_of_the_chain(page, chain):
    first, middle, last = chain
    # What a person with database access might do; no service, admin page or API route can.
    with guards_off():
        Packet.objects.filter(pk=middle.pk).delete()
    html = page.get(f"/packets/verify/?id={last.pk}").content.decode()
    assert 'data-outcome="chain_broken"' in html and "verdict-fail" in html
    assert "Not genuine: chain broken" in html
    assert f'the first broken link is <a href="/packets/{last.pk}/">packet #{last.pk}</a>' in html
    assert f"packet #{middle.pk} is missing between #{first.pk} and #{last.pk}" in html


def test_it_names_a_stored_file_that_changed(page, chain):
    Path(chain[1].file.path).write_bytes(_changed(_bytes(chain[1])))
    html = page.get(f"/packets/verify/?id={chain[1].pk}").content.decode()
    assert 'data-outcome="file_changed"' in html
    assert "Not genuine: file changed" in html


def test_the_service_names_each_outcome(chain):
    assert packet_verify(data=_bytes(chain[0])).outcome == "genuine"
    changed = packet_verify(data=_changed(_bytes(chain[0])))
    assert (changed.outcome, changed.claimed, changed.packet) == ("file_changed", chain[0].pk, None)
    assert packet_verify(data=b"hello").outcome == "not_tollgate"
    Path(chain[0].file.path).unlink()
    broken = packet_verify(data=_bytes(chain[2]))
    assert (broken.outcome, broken.broken_at) == ("chain_broken", chain[0].pk)
    assert packet_verify(packet_id=chain[0].pk).outcome == "file_missing"


def test_the_api_says_the_outcome(api_as, auditor, chain):
    body = api_as(auditor).get(f"/api/v1/packets/verify/?id={chain[0].pk}").json()
    assert (body["outcome"], body["outcome_label"], body["broken_at"]) == (
        "genuine",
        "Genuine",
        None,
    )


def test_the_verify_page_is_forbidden_to_a_user_without_packet_access(client, nobody):
    client.force_login(nobody)
    assert client.get("/packets/verify/?id=1").status_code == 403
    assert client.post("/packets/verify/").status_code == 403

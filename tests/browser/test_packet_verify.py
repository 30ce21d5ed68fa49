"""In real Chromium: the auditor verifies a genuine packet and a tampered copy of it.

Pass and fail must be told apart at a glance (colour, icon, words) and a failure must say what
failed. Screenshots of both are kept as artifacts.
"""

from governance.services.packets import packet_request
from tests.browser.conftest import ARTIFACTS, BROWSER_TEST
from tests.factories import PASSWORD

pytestmark = BROWSER_TEST


def _verify(page, tmp_path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / name
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_the_auditor_tells_a_genuine_packet_from_a_tampered_one(
    live_server, page, auditor, security, published, tmp_path
):
    # Outside a test transaction the packet's task runs on commit, i.e. at once.
    packet = packet_request(kind="shortlist", subject_id=published.pk, actor=security)
    packet.refresh_from_db()
    assert packet.status == "ready", packet.error
    with packet.file.open("rb") as handle:
        genuine = handle.read()

    page.goto(f"{live_server.url}/accounts/login/?next=/packets/")
    page.fill("#id_username", "auditor")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/packets/")
    page.get_by_role("link", name="Verify a packet").click()
    page.wait_for_url("**/packets/verify/")

    _verify(page, tmp_path, "genuine.pdf", genuine)
    result = page.locator("#result")
    assert result.get_attribute("data-outcome") == "genuine"
    assert "Genuine" in result.inner_text() and "✔" in result.inner_text()
    # Green for a pass (the stylesheet's --ok background), whatever the words.
    assert result.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(236, 253, 243)"
    _shot(page, "packet-verify-genuine.png")

    tampered = bytearray(genuine)
    tampered[len(tampered) // 2] ^= 0x01
    _verify(page, tmp_path, "tampered.pdf", bytes(tampered))
    result = page.locator("#result")
    text = result.inner_text()
    assert result.get_attribute("data-outcome") == "file_changed"
    assert "Not genuine: file changed" in text and "✖" in text
    assert f"carries the title of packet #{packet.pk}" in text
    assert result.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(254, 242, 242)"
    _shot(page, "packet-verify-tampered.png")

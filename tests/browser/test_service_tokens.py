"""In real Chromium: platform creates a service token in the admin and revokes it."""

from governance.models import ServiceToken
from tests.browser.conftest import ARTIFACTS, BROWSER_TEST
from tests.factories import PASSWORD

pytestmark = BROWSER_TEST


def test_platform_creates_a_token_and_revokes_it(live_server, page, platform):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/governance/servicetoken/add/")
    page.fill("#id_username", "platform")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/servicetoken/add/")

    page.fill("#id_name", "gateway")
    # Each scope is a box beside its name and what it reaches.
    page.get_by_label("Read the shortlist (gateway)").check()
    assert "the gateway asks whether a vendor may be used" in page.content()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "token-add.png"), full_page=True)
    page.click("input[name=_save]")
    page.wait_for_load_state()
    assert "Copy its key now; it is not shown again: tgs_" in page.content()
    assert '["shortlist:read"]' not in page.content()

    page.locator("#result_list a", has_text="gateway").click()
    page.wait_for_load_state()
    assert "Never used" in page.content()
    page.click("#revoke-token")
    page.wait_for_load_state()
    page.click("#confirm-revoke")
    page.wait_for_load_state()
    assert "Service token gateway revoked" in page.content()
    page.screenshot(path=str(ARTIFACTS / "token-revoked.png"), full_page=True)
    assert ServiceToken.objects.get(name="gateway").revoked_at is not None

"""In real Chromium: an AI PM uploads a membership file in the admin and follows its run."""

from pathlib import Path

from playwright.sync_api import expect

from governance.models import ImportRun, TeamMember
from governance.models.evidence import ImportKind
from governance.services.imports import import_create
from tests.browser.conftest import ARTIFACTS, BROWSER_TEST
from tests.factories import PASSWORD, TeamFactory

pytestmark = BROWSER_TEST
DATA = Path(__file__).resolve().parent.parent / "data" / "teams"


def sign_in(page, live_server, next_url: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("#id_username", "ai_pm")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_url}")


def test_an_admin_upload_shows_its_progress_counts_and_bad_lines(live_server, page, ai_pm):
    TeamFactory(name="Payments")
    TeamFactory(name="Search", github_slug="search-team")
    sign_in(page, live_server, "/admin/governance/importrun/add/")

    page.select_option("#id_kind", ImportKind.TEAM_MEMBERS)
    page.set_input_files("#id_upload", str(DATA / "members.csv"))
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/governance/importrun/*/change/")
    # Tasks run in-process here, so the run has finished by the time its page shows.
    progress = page.locator("progress[aria-label='import progress']")
    assert progress.get_attribute("value") == "100"
    assert "Succeeded" in page.locator(".field-progress_bar").inner_text()
    assert "4" in page.locator(".field-created").inner_text()
    assert page.locator(".field-options_shown").inner_text().endswith("—")
    assert TeamMember.objects.count() == 4
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-import.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/governance/importrun/add/")
    page.select_option("#id_kind", ImportKind.TEAM_MEMBERS)
    page.set_input_files("#id_upload", str(DATA / "members_bad.csv"))
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/governance/importrun/*/change/")
    errors = page.locator(".field-line_errors").inner_text()
    assert "line 3: team: no team named 'Nowhere'" in errors
    assert "Failed" in page.locator(".field-progress_bar").inner_text()
    assert TeamMember.objects.count() == 4


def test_a_queued_run_refreshes_until_it_ends(live_server, page, ai_pm):
    TeamFactory(name="Payments")
    TeamFactory(name="Search", github_slug="search-team")
    run = import_create(kind=ImportKind.TEAM_MEMBERS, actor=ai_pm, path=str(DATA / "members.csv"))
    sign_in(page, live_server, f"/admin/governance/importrun/{run.pk}/change/")
    assert "queued" in page.locator(".field-progress_bar").inner_text()
    assert page.locator("meta[http-equiv=refresh]").count() == 1
    # The worker finishes it; the next refresh shows the outcome without a click.
    from governance.services.imports import import_execute

    import_execute(run_id=run.pk)
    # Polled by Playwright itself: a string evaluated in the page would be refused by the CSP.
    expect(page.locator(".field-progress_bar")).to_contain_text("Succeeded", timeout=10000)
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    assert ImportRun.objects.get(pk=run.pk).status == "succeeded"

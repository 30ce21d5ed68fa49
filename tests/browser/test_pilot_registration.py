"""In real Chromium: the ai_pm registers a pilot, adds baselines and a kill criterion, submits.

Runs against Debian's chromium through Playwright (never a downloaded browser). On a laptop
without chromium it is skipped; under CI (TOLLGATE_REQUIRE_SERVICES) a missing browser fails.
"""

from datetime import timedelta

from django.utils import timezone

from governance.models import Pilot
from tests.browser.conftest import ARTIFACTS, BROWSER_TEST
from tests.factories import PASSWORD, OfferingFactory, TeamFactory

pytestmark = BROWSER_TEST


def _record_baseline(page, metric: str, value: str, tier: str = "", start="", end=""):
    form = page.locator("#baseline-form")
    form.locator("select[name=metric]").select_option(label=metric)
    form.locator("select[name=tier]").select_option(tier)
    form.locator("input[name=value]").fill(value)
    form.locator("input[name=sample_size]").fill("120")
    form.locator("input[name=period_start]").fill(start)
    form.locator("input[name=period_end]").fill(end)
    form.locator("#add-baseline").click()
    page.wait_for_load_state()
    assert "Baseline recorded" in page.content(), page.content()[:3000]


def test_an_ai_pm_registers_baselines_and_submits_a_pilot(live_server, page, ai_pm, published):
    offering = OfferingFactory(
        vendor=published.entries.get(vendor__slug="helix").vendor, name="Helix Code"
    )
    TeamFactory(name="Payments")
    start = timezone.localdate() + timedelta(days=30)
    period = ((start - timedelta(days=120)).isoformat(), (start - timedelta(days=30)).isoformat())

    page.goto(f"{live_server.url}/accounts/login/?next=/pilots/new/")
    page.fill("#id_username", "ai_pm")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/pilots/new/")

    page.fill("#id_title", "Browser-registered pilot")
    page.select_option("#id_offering", label=str(offering))
    page.get_by_label("Payments").check()
    page.get_by_label("Test generation").check()
    page.fill("#id_use_case", "Unit tests for the payments service.")
    page.fill("#id_planned_start", start.isoformat())
    page.fill("#id_planned_end", (start + timedelta(days=75)).isoformat())
    page.click("#register")
    page.wait_for_url("**/pilots/*/")
    assert "Registered Browser-registered pilot" in page.content()

    _record_baseline(page, "Cycle time per shipped PR", "31.5", "standard", *period)
    _record_baseline(page, "Defect escape rate", "0.12", "", *period)
    _record_baseline(page, "Reviewer minutes per PR", "42", "", *period)
    _record_baseline(page, "Feature throughput", "20", "", *period)

    kill = page.locator("#kill-form")
    kill.locator("select[name=metric]").select_option(label="Reviewer minutes per PR")
    kill.locator("select[name=comparator]").select_option("worse_pct")
    kill.locator("input[name=threshold]").fill("20")
    kill.locator("input[name=evaluate_from_day]").fill("60")
    kill.locator("#add-kill").click()
    page.wait_for_load_state()
    assert "kill if reviewer minutes per PR is 20% worse than baseline" in page.content()

    page.click("#submit-pilot")
    page.wait_for_load_state()
    assert "submitted for sign-off" in page.content()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "pilot-submitted.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    pilot = Pilot.objects.get(title="Browser-registered pilot")
    assert pilot.status == "submitted"
    assert pilot.baselines.count() == 4
    assert pilot.history.get().actor == ai_pm

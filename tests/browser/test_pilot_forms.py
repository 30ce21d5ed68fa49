"""In real Chromium: the pilot forms explain metrics, word kill criteria live, lay out boxes.

The live sentence is written by governance/static/governance/forms.js; the test holds it to
the server's own KillCriterion.plain_words for the same input.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from governance.models import KillCriterion, Metric, Pilot
from governance.services import pilots as ps
from tests.browser.conftest import ARTIFACTS, BROWSER_TEST
from tests.factories import PASSWORD, OfferingFactory, TeamFactory

pytestmark = BROWSER_TEST


def _sign_in(page, live_server, next_url: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("#id_username", "ai_pm")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_url}")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_the_kill_preview_is_written_live_as_the_server_words_it(live_server, page, ai_pm):
    start = timezone.localdate() + timedelta(days=30)
    pilot = ps.pilot_create(
        title="Preview pilot",
        offering=OfferingFactory(name="Helix Code"),
        teams=[TeamFactory(name="Payments")],
        workflows=["test_generation"],
        use_case="Tests.",
        planned_start=start,
        planned_end=start + timedelta(days=75),
        actor=ai_pm,
    )
    _sign_in(page, live_server, f"/pilots/{pilot.pk}/")

    # Choosing a metric explains it under the select.
    baseline = page.locator("#baseline-form")
    baseline.locator("select[name=metric]").select_option(label="Defect escape rate")
    hint = baseline.locator("[data-metric-hint]").inner_text()
    assert "ratio from 0 to 1, e.g. 0.14" in hint

    kill = page.locator("#kill-form")
    preview = page.locator("#kill-preview")
    assert preview.inner_text().startswith("Choose a metric")
    kill.locator("select[name=metric]").select_option(label="Defect escape rate")
    kill.locator("select[name=comparator]").select_option("above")
    kill.locator("input[name=threshold]").fill("0.20")
    kill.locator("input[name=consecutive_periods]").fill("3")
    kill.locator("input[name=require_clear_breach]").check()
    live = preview.inner_text()
    expected = KillCriterion(
        pilot=pilot,
        metric=Metric.objects.get(code="defect-escape-rate"),
        tier="",
        comparator="above",
        threshold=Decimal("0.20"),
        evaluate_from_day=pilot.grace_days,
        consecutive_periods=3,
        min_sample_size=20,
        require_clear_breach=True,
    ).plain_words
    assert live == expected
    _shot(page, "pilot-kill-preview.png")

    kill.locator("#add-kill").click()
    page.wait_for_load_state()
    assert KillCriterion.objects.get(pilot=pilot).plain_words == live


def test_registration_lays_boxes_beside_labels_and_lists_every_mistake(live_server, page, ai_pm):
    TeamFactory(name="Payments")
    _sign_in(page, live_server, "/pilots/new/")

    box = page.get_by_label("Payments").bounding_box()
    text = page.locator("#field-teams label span", has_text="Payments").bounding_box()
    assert 0 <= text["x"] - (box["x"] + box["width"]) < 16  # the label right beside its box
    assert abs((text["y"] + text["height"] / 2) - (box["y"] + box["height"] / 2)) < 6

    page.click("#register")
    page.wait_for_load_state()
    summary = page.locator(".form-errors").inner_text()
    assert summary.endswith("things to fix; nothing was saved."), summary
    # Title, offering, teams, workflows, use case, dates...: all at once, each by its field.
    count = int(summary.split()[0])
    assert count >= 6
    assert page.locator(".field .errors").count() == count
    _shot(page, "pilot-registration-errors.png")
    assert not Pilot.objects.exists()

"""Pilot forms as a person fills them: units and examples, every mistake at once, kill preview."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders

from governance.models import Baseline, KillCriterion, Metric, Pilot
from tests.factories import TeamFactory
from tests.governance.conftest import START

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]


def _baseline(metrics, code="defect-escape-rate", **overrides) -> dict:
    data = {
        "metric": metrics[code].pk,
        "tier": "",
        "value": "0.14",
        "sample_size": "120",
        "period_start": "2026-09-01",
        "period_end": "2026-10-01",
        "source": "manual",
    }
    data.update(overrides)
    return data


def _kill(metrics, code="reviewer-load", **overrides) -> dict:
    data = {
        "metric": metrics[code].pk,
        "tier": "",
        "comparator": "worse_pct",
        "threshold": "20",
        "evaluate_from_day": "60",
        "consecutive_periods": "2",
        "min_sample_size": "20",
    }
    data.update(overrides)
    return data


def test_each_metric_says_its_unit_range_and_an_example(metrics):
    assert metrics["defect-escape-rate"].hint == "ratio from 0 to 1, e.g. 0.14"
    assert metrics["cached-token-share"].hint == "percent from 0 to 100, e.g. 42"
    assert metrics["cycle-time"].hint == "hours 0 or more, e.g. 18.5"
    assert "never a percent" in metrics["defect-escape-rate"].description


def test_a_defect_escape_rate_of_4_2_is_refused_with_the_ratio_it_meant(
    client, ai_pm, pilot, metrics
):
    client.force_login(ai_pm)
    response = client.post(f"/pilots/{pilot.pk}/baselines/", _baseline(metrics, value="4.2"))
    assert response.status_code == 400
    errors = response.context["baseline_form"].errors
    assert errors["value"] == [
        "Defect escape rate is in ratio from 0 to 1, e.g. 0.14; 4.2 is outside that. "
        "For 4.2% give 0.042."
    ]
    assert not Baseline.objects.exists()
    accepted = client.post(f"/pilots/{pilot.pk}/baselines/", _baseline(metrics, value="0.042"))
    assert accepted.status_code == 302
    assert Baseline.objects.get().value == Decimal("0.042")


def test_the_api_refuses_a_ratio_out_of_range_too(api_as, ai_pm, pilot):
    response = api_as(ai_pm).post(
        "/api/v1/baselines/",
        {
            "pilot": pilot.pk,
            "metric": "defect-escape-rate",
            "value": "4.2",
            "sample_size": 120,
            "period_start": "2026-09-01",
            "period_end": "2026-10-01",
            "source": "api",
        },
    )
    assert response.status_code == 400
    assert "For 4.2% give 0.042." in response.json()["details"]["value"][0]


def test_a_percent_over_100_is_refused(client, ai_pm, pilot, metrics):
    client.force_login(ai_pm)
    data = _baseline(metrics, code="cached-token-share", value="120")
    response = client.post(f"/pilots/{pilot.pk}/baselines/", data)
    assert response.status_code == 400
    assert "percent from 0 to 100" in response.context["baseline_form"].errors["value"][0]


def test_an_absolute_kill_threshold_is_in_the_metrics_unit(client, ai_pm, pilot, metrics):
    client.force_login(ai_pm)
    above = _kill(metrics, code="defect-escape-rate", comparator="above", threshold="4.2")
    response = client.post(f"/pilots/{pilot.pk}/kill-criteria/", above)
    assert response.status_code == 400
    assert "For 4.2% give 0.042." in response.context["kill_form"].errors["threshold"][0]
    # Worse than baseline by X percent: X is a percent change, not the metric's unit.
    worse = _kill(metrics, code="defect-escape-rate", threshold="25")
    assert client.post(f"/pilots/{pilot.pk}/kill-criteria/", worse).status_code == 302
    assert KillCriterion.objects.get().threshold == 25


def test_registration_reports_every_mistake_at_once(client, ai_pm, helix):
    client.force_login(ai_pm)
    teams = [TeamFactory(name=f"Team {n}") for n in range(4)]
    response = client.post(
        "/pilots/new/",
        {
            "title": "",
            "offering": helix.pk,
            "teams": [t.pk for t in teams],
            "workflows": ["debugging", "boilerplate", "pr_generation"],
            "use_case": "Tests.",
            "planned_start": START.isoformat(),
            "planned_end": (START + timedelta(days=75)).isoformat(),
            "window_months": 6,
            "checkpoint_days": "30, 400",
            "grace_days": 0,
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"title", "teams", "workflows", "checkpoint_days", "grace_reason"}
    assert errors["teams"] == ["A pilot involves at most 3 teams."]
    assert "5 things to fix; nothing was saved." in response.content.decode()
    assert not Pilot.objects.exists()


def test_a_baseline_reports_every_mistake_at_once(client, ai_pm, pilot, metrics):
    client.force_login(ai_pm)
    data = _baseline(metrics, code="cycle-time", value="-3", period_end="2027-02-01")
    response = client.post(f"/pilots/{pilot.pk}/baselines/", data)
    assert response.status_code == 400
    assert set(response.context["baseline_form"].errors) == {"tier", "value", "period_end"}


def test_the_pilot_page_explains_the_metrics_next_to_the_forms(client, ai_pm, pilot, metrics):
    client.force_login(ai_pm)
    html = client.get(f"/pilots/{pilot.pk}/").content.decode()
    assert html.count("What each metric means, its unit and an example") == 2
    for metric in metrics.values():
        assert f"<td>{metric.hint}</td>" in html
    # The options carry what the page's script shows and words.
    option = f'value="{metrics["defect-escape-rate"].pk}" data-name="Defect escape rate"'
    assert option in html
    assert 'data-unit="ratio"' in html
    assert "Example: <em>kill if reviewer minutes per PR" in html
    # Script from a file only (the Content-Security-Policy forbids inline script).
    assert '<script src="/static/governance/forms.js" defer></script>' in html
    assert "<script>" not in html
    assert finders.find("governance/forms.js")


def test_the_chosen_metric_is_explained_without_script(client, ai_pm, pilot, metrics):
    client.force_login(ai_pm)
    response = client.post(f"/pilots/{pilot.pk}/baselines/", _baseline(metrics, value="4.2"))
    hint = response.content.decode().split("data-metric-hint>")[1].split("</div>")[0]
    assert hint == (f"{metrics['defect-escape-rate'].description} In ratio from 0 to 1, e.g. 0.14.")


def test_preview_words_a_kill_criterion_without_saving_it(client, ai_pm, pilot, metrics):
    client.force_login(ai_pm)
    data = _kill(metrics, require_clear_breach="on", preview="1")
    response = client.post(f"/pilots/{pilot.pk}/kill-criteria/", data)
    assert response.status_code == 200
    sentence = response.context["kill_form"].plain_words
    assert sentence == (
        "kill if reviewer minutes per PR is clearly 20% worse than baseline (its 95% interval "
        "wholly beyond the limit) for 2 periods after day 60, counting only periods with a "
        "sample of at least 20"
    )
    assert '<span id="kill-preview"' in response.content.decode()
    assert sentence in response.content.decode()
    assert not KillCriterion.objects.exists()
    # Saved, it reads exactly as previewed.
    data.pop("preview")
    assert client.post(f"/pilots/{pilot.pk}/kill-criteria/", data).status_code == 302
    assert KillCriterion.objects.get().plain_words == sentence


def test_preview_still_reports_mistakes(client, ai_pm, pilot, metrics):
    client.force_login(ai_pm)
    data = _kill(metrics, evaluate_from_day="10", preview="1")
    response = client.post(f"/pilots/{pilot.pk}/kill-criteria/", data)
    assert response.status_code == 400
    assert "evaluate_from_day" in response.context["kill_form"].errors
    # The sentence uses the default for the field that failed: the end of the grace.
    assert "after day 60" in response.context["kill_form"].plain_words


def test_checkbox_groups_are_laid_out_with_their_labels(client, ai_pm, helix):
    client.force_login(ai_pm)
    team = TeamFactory(name="Payments")
    html = client.get("/pilots/new/").content.decode()
    assert '<fieldset class="choices"><legend>Teams</legend>' in html
    assert (
        f'<label for="id_teams_0"><input type="checkbox" name="teams" value="{team.pk}" '
        'id="id_teams_0"> <span>Payments</span></label>'
    ) in html
    assert '<link rel="stylesheet" href="/static/governance/forms.css">' in html


def test_the_metric_api_gives_the_same_guidance(api_as, auditor):
    body = api_as(auditor).get("/api/v1/metrics/").json()
    rows = {row["code"]: row for row in body["results"]}
    ratio = rows["defect-escape-rate"]
    assert (ratio["example"], ratio["lowest"], ratio["highest"]) == ("0.14", "0.0000", "1.0000")
    assert ratio["hint"] == Metric.objects.get(code="defect-escape-rate").hint


def test_a_posted_measurement_out_of_range_is_refused(api_as, ai_pm, platform, approved_pilot):
    import time_machine

    from governance.services import pilots as ps

    with time_machine.travel(START, tick=False):
        running = ps.pilot_start(pilot=approved_pilot, actor=ai_pm)
    row = {
        "pilot": running.pk,
        "metric": "defect-escape-rate",
        "tier": "",
        "period_start": START.isoformat(),
        "period_end": (START + timedelta(days=6)).isoformat(),
        "value": "4.2",
        "sample_size": 20,
    }
    with time_machine.travel(START + timedelta(days=30), tick=False):
        client = api_as(platform)
        refused = client.post("/api/v1/measurements/bulk/", {"measurements": [row]})
        assert refused.status_code == 400
        message = refused.json()["details"]["measurements[0].value"][0]
        assert message.startswith("Row 0: Defect escape rate is in ratio from 0 to 1")
        row["value"] = "0.042"
        accepted = client.post("/api/v1/measurements/bulk/", {"measurements": [row]})
        assert accepted.json() == {"created": 1, "updated": 0, "unchanged": 0}

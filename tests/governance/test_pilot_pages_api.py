"""Pilot pages and API: registration with inline errors, the pilot page, sign-off queue."""

from datetime import timedelta

import pytest

from governance.models import Pilot
from tests.factories import TeamFactory
from tests.governance.conftest import START

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_today(today):
    return today


def _form(helix, **overrides):
    team = TeamFactory(name="Payments")
    data = {
        "title": "Helix in payments",
        "offering": helix.pk,
        "teams": [team.pk],
        "workflows": ["test_generation"],
        "use_case": "Unit tests for payments.",
        "planned_start": START.isoformat(),
        "planned_end": (START + timedelta(days=75)).isoformat(),
        "duration_justification": "",
        "window_months": 6,
        "checkpoint_days": "30, 90, 180",
        "grace_days": 60,
    }
    data.update(overrides)
    return data


def test_an_ai_pm_registers_a_pilot_through_the_page(client, ai_pm, helix):
    client.force_login(ai_pm)
    response = client.post("/pilots/new/", _form(helix))
    pilot = Pilot.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/pilots/{pilot.pk}/"
    assert (pilot.owner, pilot.checkpoint_days) == (ai_pm, [30, 90, 180])


def test_registration_errors_show_next_to_their_fields(client, ai_pm, helix):
    client.force_login(ai_pm)
    response = client.post(
        "/pilots/new/", _form(helix, planned_end=(START + timedelta(days=150)).isoformat())
    )
    assert response.status_code == 200
    html = response.content.decode()
    field = html.split('id="field-duration_justification"')[1].split("</div>\n      </div>")[0]
    assert "The pilot runs 150 days; explain why it is not 60-90 days." in field
    assert not Pilot.objects.exists()


def test_other_roles_cannot_register(client, finance):
    client.force_login(finance)
    assert client.get("/pilots/new/").status_code == 403


def test_the_pilot_page_shows_blockers_and_plain_words(client, ai_pm, pilot, complete_pilot):
    complete_pilot(pilot)
    client.force_login(ai_pm)
    html = client.get(f"/pilots/{pilot.pk}/").content.decode()
    assert (
        "kill if reviewer minutes per PR is 20% worse than baseline for 2 periods after day 60"
        in html
    )
    assert "Nothing blocks the next step (submit it for sign-off)." in html
    assert "Day 60 (2027-03-05): end of stabilisation grace" in html


def test_a_baseline_error_is_shown_on_the_page(client, ai_pm, pilot, metrics):
    client.force_login(ai_pm)
    response = client.post(
        f"/pilots/{pilot.pk}/baselines/",
        {
            "metric": metrics["reviewer-load"].pk,
            "tier": "",
            "value": "40",
            "sample_size": "0",
            "period_start": "2026-09-01",
            "period_end": "2026-10-01",
            "source": "manual",
        },
    )
    assert response.status_code == 400
    assert "A baseline needs a sample size above zero." in response.content.decode()


def test_the_owner_submits_from_the_page_and_sees_what_is_missing(client, ai_pm, pilot):
    client.force_login(ai_pm)
    response = client.post(f"/pilots/{pilot.pk}/submit/", follow=True)
    assert "Cannot submit: Pre-commit at least one kill criterion." in response.content.decode()


def test_another_pm_cannot_change_someone_elses_pilot(client, pilot, metrics):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="pm2", role="ai_pm"))
    response = client.post(f"/pilots/{pilot.pk}/kill-criteria/", {"metric": 1})
    assert response.status_code == 403


def test_the_signoff_queue_and_one_click_sign(client, persona, pilot, complete_pilot, ai_pm):
    from governance.services import pilots as ps

    complete_pilot(pilot)
    ps.pilot_submit(pilot=pilot, actor=ai_pm)
    client.force_login(persona("finance"))
    assert "Helix in payments" in client.get("/pilots/awaiting-signoff/").content.decode()
    client.post(
        f"/pilots/{pilot.pk}/sign/",
        {"role": "finance", "decision": "approve", "comment": "", "from_queue": "1"},
    )
    assert "Nothing is waiting for you." in client.get("/pilots/awaiting-signoff/").content.decode()


def test_a_reject_without_comment_is_refused_with_a_message(
    client, persona, pilot, complete_pilot, ai_pm
):
    from governance.services import pilots as ps

    complete_pilot(pilot)
    ps.pilot_submit(pilot=pilot, actor=ai_pm)
    client.force_login(persona("security"))
    response = client.post(
        f"/pilots/{pilot.pk}/sign/",
        {"role": "security", "decision": "reject", "comment": ""},
        follow=True,
    )
    assert "Say why you reject." in response.content.decode()


def test_the_queue_is_for_signers_only(client, ai_pm):
    client.force_login(ai_pm)
    assert client.get("/pilots/awaiting-signoff/").status_code == 403


def test_the_list_filters_mine_and_status(client, ai_pm, make_pilot):
    make_pilot(title="Alpha")
    client.force_login(ai_pm)
    html = client.get("/pilots/?mine=1&status=draft").content.decode()
    assert "Alpha" in html
    assert "Alpha" not in client.get("/pilots/?status=running").content.decode()


# --- API --------------------------------------------------------------------------------------


def test_the_api_runs_the_lifecycle(api_as, ai_pm, persona, helix, metrics):
    client = api_as(ai_pm)
    team = client.post(
        "/api/v1/teams/", {"name": "Core", "cost_centre": "CC-1", "headcount": 6}
    ).json()
    pilot = client.post(
        "/api/v1/pilots/",
        {
            "title": "API pilot",
            "offering": helix.pk,
            "teams": [team["id"]],
            "workflows": ["debugging"],
            "use_case": "Debugging help",
            "planned_start": START.isoformat(),
            "planned_end": (START + timedelta(days=70)).isoformat(),
        },
        format="json",
    )
    assert pilot.status_code == 201, pilot.json()
    pid = pilot.json()["id"]
    assert pilot.json()["agentic"] is False
    blocked = client.post(f"/api/v1/pilots/{pid}/submit/")
    assert blocked.status_code == 400
    assert (
        "Cannot submit: Pre-commit at least one kill criterion."
        in blocked.json()["details"]["status"]
    )
    base = {
        "pilot": pid,
        "sample_size": 50,
        "period_start": "2026-09-01",
        "period_end": "2026-11-30",
        "source": "import",
    }
    for code, tier, value in (
        ("cycle-time", "trivial", "6"),
        ("defect-escape-rate", "", "0.1"),
        ("reviewer-load", "", "30"),
        ("feature-throughput", "", "20"),
    ):
        r = client.post(
            "/api/v1/baselines/",
            {**base, "metric": code, "tier": tier, "value": value},
            format="json",
        )
        assert r.status_code == 201, r.json()
    kill = client.post(
        "/api/v1/kill-criteria/",
        {
            "pilot": pid,
            "metric": "defect-escape-rate",
            "comparator": "above",
            "threshold": "0.2",
            "evaluate_from_day": 60,
        },
        format="json",
    )
    assert kill.json()["plain_words"] == (
        "kill if defect escape rate is above 0.2 ratio for 2 periods after day 60, counting "
        "only periods with a sample of at least 20"
    )
    assert client.post(f"/api/v1/pilots/{pid}/submit/").json()["status"] == "submitted"
    for role in ("security", "finance"):
        api_as(persona(role)).post(
            "/api/v1/signoffs/",
            {"subject_kind": "pilot", "subject_id": pid, "role": role, "decision": "approve"},
            format="json",
        )
    approved = api_as(persona("finance")).post(f"/api/v1/pilots/{pid}/approve/")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    frozen = client.post(
        "/api/v1/baselines/",
        {**base, "metric": "reviewer-load", "tier": "", "value": "1"},
        format="json",
    )
    assert frozen.status_code == 400
    assert "frozen at approval" in frozen.json()["message"]


def test_the_api_withdraw_needs_a_reason(api_as, ai_pm, pilot):
    response = api_as(ai_pm).post(f"/api/v1/pilots/{pilot.pk}/withdraw/", {"reason": ""})
    assert response.status_code == 400
    assert response.json()["message"] == "Say why the pilot is withdrawn."


def test_metrics_are_read_only(api_as, ai_pm):
    client = api_as(ai_pm)
    assert client.get("/api/v1/metrics/").json()["count"] == 12
    assert client.post("/api/v1/metrics/", {"code": "x"}).status_code in (403, 405)


PILOT_FORBIDDEN = [
    ("nobody", "get", "/api/v1/pilots/", None),
    ("nobody", "get", "/api/v1/pilots/{pilot}/", None),
    ("finance", "post", "/api/v1/pilots/", {"title": "x"}),
    ("security", "patch", "/api/v1/pilots/{pilot}/", {"title": "x"}),
    ("finance", "post", "/api/v1/pilots/{pilot}/submit/", None),
    ("ai_pm", "post", "/api/v1/pilots/{pilot}/approve/", None),
    ("security", "post", "/api/v1/pilots/{pilot}/start/", None),
    ("finance", "post", "/api/v1/pilots/{pilot}/withdraw/", {"reason": "x"}),
    ("legal", "post", "/api/v1/pilots/{pilot}/begin-review/", None),
    ("ai_pm", "post", "/api/v1/pilots/{pilot}/close/", {"outcome": "killed"}),
    ("nobody", "get", "/api/v1/teams/", None),
    ("nobody", "get", "/api/v1/teams/{team}/", None),
    ("finance", "post", "/api/v1/teams/", {"name": "x"}),
    ("nobody", "get", "/api/v1/metrics/", None),
    ("nobody", "get", "/api/v1/metrics/1/", None),
    ("nobody", "get", "/api/v1/baselines/", None),
    ("nobody", "get", "/api/v1/baselines/{baseline}/", None),
    ("security", "post", "/api/v1/baselines/", {"pilot": "{pilot}"}),
    ("finance", "delete", "/api/v1/baselines/{baseline}/", None),
    ("nobody", "get", "/api/v1/kill-criteria/", None),
    ("nobody", "get", "/api/v1/kill-criteria/{kill}/", None),
    ("platform", "post", "/api/v1/kill-criteria/", {"pilot": "{pilot}"}),
    ("auditor", "delete", "/api/v1/kill-criteria/{kill}/", None),
    ("nobody", "get", "/api/v1/measurements/", None),
    ("nobody", "get", "/api/v1/measurements/1/", None),
    ("finance", "post", "/api/v1/measurements/bulk/", {"measurements": []}),
    ("nobody", "get", "/api/v1/evaluations/", None),
    ("nobody", "get", "/api/v1/evaluations/1/", None),
    ("finance", "post", "/api/v1/pilots/{pilot}/evaluate/", {"checkpoint_day": 30}),
    ("nobody", "get", "/api/v1/pilots/{pilot}/effects/", None),
    ("nobody", "get", "/api/v1/pilots/{pilot}/controls/", None),
    ("finance", "post", "/api/v1/pilots/{pilot}/controls/", {"teams": []}),
]


@pytest.mark.parametrize(("role", "method", "url", "body"), PILOT_FORBIDDEN)
def test_each_pilot_route_refuses_a_role_without_access(
    api_as, persona, nobody, pilot, complete_pilot, role, method, url, body
):
    complete_pilot(pilot)
    ids = {
        "pilot": pilot.pk,
        "team": pilot.teams.first().pk,
        "baseline": pilot.baselines.first().pk,
        "kill": pilot.kill_criteria.first().pk,
    }
    user = nobody if role == "nobody" else persona(role)
    if body:
        body = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()}
    response = getattr(api_as(user), method)(url.format(**ids), body, format="json")
    assert response.status_code == 403, response.content


def test_another_pm_cannot_patch_my_pilot(api_as, pilot):
    from tests.factories import UserFactory

    other = UserFactory(username="pm2", role="ai_pm")
    assert api_as(other).patch(f"/api/v1/pilots/{pilot.pk}/", {"title": "x"}).status_code == 403


def test_the_owner_patches_a_draft_and_keeps_its_agentic_flag(api_as, ai_pm, pilot):
    response = api_as(ai_pm).patch(f"/api/v1/pilots/{pilot.pk}/", {"title": "Renamed"})
    assert response.status_code == 200, response.json()
    assert (response.json()["title"], response.json()["agentic"]) == ("Renamed", False)


def test_the_pilot_page_names_workflows_in_words(client, ai_pm, pilot):
    pilot.workflows = ["multi_file_refactor", "test_generation"]
    pilot.save(update_fields=["workflows"])
    client.force_login(ai_pm)
    page = client.get(f"/pilots/{pilot.pk}/").content.decode()
    assert "Multi-file refactor, Test generation" in page
    assert "multi_file_refactor" not in page

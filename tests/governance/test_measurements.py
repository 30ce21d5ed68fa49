"""Measurement ingest and checkpoint evaluation against the database."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core import mail
from django.core.management import CommandError, call_command

from governance.choices import NotificationKind
from governance.models import CheckpointEvaluation, Measurement, Notification
from governance.services import pilots as ps
from governance.services.checkpoints import checkpoint_evaluate, checkpoints_evaluate_due
from governance.services.tokens import service_token_create
from tests.governance.conftest import START

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def after_the_periods():
    """These tests record 2027 periods: they run once those periods are over (periods ending
    after today are refused since issue 21); a test may travel elsewhere inside."""
    with time_machine.travel(START + timedelta(days=10_000), tick=False):
        yield


@pytest.fixture
def running(approved_pilot, ai_pm):
    with time_machine.travel(START, tick=False):
        return ps.pilot_start(pilot=approved_pilot, actor=ai_pm)


def _rows(pilot, n=4, value="42", metric="reviewer-load", offset=0):
    return [
        {
            "pilot": pilot.pk,
            "metric": metric,
            "tier": "",
            "period_start": (START + timedelta(days=7 * i + offset)).isoformat(),
            "period_end": (START + timedelta(days=7 * i + 6 + offset)).isoformat(),
            "value": value,
            "sample_size": 20,
        }
        for i in range(n)
    ]


def test_posting_the_same_rows_twice_is_idempotent(api_as, platform, running):
    client = api_as(platform)
    first = client.post(
        "/api/v1/measurements/bulk/", {"measurements": _rows(running)}, format="json"
    )
    assert first.json() == {"created": 4, "updated": 0, "unchanged": 0}
    again = client.post(
        "/api/v1/measurements/bulk/", {"measurements": _rows(running)}, format="json"
    )
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 4}
    changed = client.post(
        "/api/v1/measurements/bulk/", {"measurements": _rows(running, value="50")}, format="json"
    )
    assert changed.json() == {"created": 0, "updated": 4, "unchanged": 0}
    assert Measurement.objects.count() == 4
    entry = (
        LogEntry.objects.get_for_object(Measurement.objects.first())
        .filter(action=LogEntry.Action.UPDATE)
        .get()
    )
    assert entry.actor == platform
    assert entry.changes_dict["value"] == ["42.0000", "50.0000"]


def test_a_request_audits_its_created_rows_once_per_pilot(api_as, platform, running):
    # Created rows carry who, when and how themselves; one entry per pilot says which request
    # made which rows (one entry per row cost more than the rows: bench/README.md, P1).
    api_as(platform).post(
        "/api/v1/measurements/bulk/", {"measurements": _rows(running, n=3)}, format="json"
    )
    rows = list(Measurement.objects.select_related("metric").order_by("pk"))
    assert not LogEntry.objects.filter(content_type__model="measurement").exists()
    entry = LogEntry.objects.get_for_object(running).get(
        additional_data__has_key="measurements_created"
    )
    assert entry.actor == platform
    assert entry.changes_dict == {"measurements": ["", "3 created (api)"]}
    created = entry.additional_data["measurements_created"]
    assert created["count"] == 3
    assert created["ids"] == [rows[0].pk, rows[-1].pk]
    assert created["periods"] == [
        min(r.period_start for r in rows).isoformat(),
        max(r.period_end for r in rows).isoformat(),
    ]
    assert created["metrics"] == sorted({r.metric.code for r in rows})
    assert created["source"] == "api"
    assert all((r.source, r.recorded_by) == ("api", platform) for r in rows)


def test_a_changed_row_keeps_its_own_audit_entry_with_the_value_it_replaced(
    api_as, platform, running
):
    client = api_as(platform)
    client.post("/api/v1/measurements/bulk/", {"measurements": _rows(running, n=2)}, format="json")
    client.post(
        "/api/v1/measurements/bulk/",
        {"measurements": _rows(running, n=2, value="50")},
        format="json",
    )
    row = Measurement.objects.select_related("metric").first()
    entry = LogEntry.objects.get_for_object(row).get()
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.object_repr == str(row)
    assert entry.changes_dict["value"] == ["42.0000", "50.0000"]
    assert LogEntry.objects.filter(content_type__model="measurement").count() == 2
    # The second request created nothing, so the pilot got no second "created" entry.
    assert (
        LogEntry.objects.get_for_object(running)
        .filter(additional_data__has_key="measurements_created")
        .count()
        == 1
    )


def test_a_dry_run_counts_without_writing(running, platform):
    from governance.services.measurements import measurements_ingest

    measurements_ingest(rows=_rows(running, n=2), actor=platform)
    result = measurements_ingest(rows=_rows(running, n=3), actor=platform, dry_run=True)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 2)
    assert Measurement.objects.count() == 2
    assert (
        LogEntry.objects.get_for_object(running)
        .filter(additional_data__measurements_created__count=2)
        .count()
        == 1
    )


def test_two_ingests_in_one_transaction_both_land(running, platform):
    from django.db import transaction

    from governance.services.measurements import measurements_ingest

    with transaction.atomic():  # as the CSV import writes its 10,000-row chunks
        first = measurements_ingest(rows=_rows(running, n=3), actor=platform)
        second = measurements_ingest(rows=_rows(running, n=5, value="43"), actor=platform)
    assert (first.created, second.created, second.updated) == (3, 2, 3)
    assert Measurement.objects.filter(value=Decimal("43")).count() == 5


def test_one_bad_row_among_1000_writes_nothing_and_is_named(api_as, platform, running):
    rows = _rows(running, n=1000)
    rows[617]["value"] = "lots"
    rows[618]["metric"] = "vibes"
    response = api_as(platform).post(
        "/api/v1/measurements/bulk/", {"measurements": rows}, format="json"
    )
    assert response.status_code == 400
    details = response.json()["details"]
    assert details == {
        "measurements[617].value": ["Row 617: Give a finite number below 10^12."],
        "measurements[618].metric": ["Row 618: Unknown metric 'vibes'."],
    }
    assert Measurement.objects.count() == 0


@pytest.mark.parametrize("tier", [["standard"], {"tier": "standard"}, 7])
def test_a_tier_that_is_not_text_is_named_not_a_server_error(api_as, platform, running, tier):
    """Found by schemathesis: a JSON list as the tier raised TypeError (HTTP 500)."""
    rows = _rows(running, n=1)
    rows[0]["tier"] = tier
    response = api_as(platform).post(
        "/api/v1/measurements/bulk/", {"measurements": rows}, format="json"
    )
    assert response.status_code == 400
    assert "measurements[0].tier" in response.json()["details"]


def test_a_bulk_post_is_set_based(api_as, platform, running, django_assert_max_num_queries):
    client = api_as(platform)
    with django_assert_max_num_queries(25):
        response = client.post(
            "/api/v1/measurements/bulk/", {"measurements": _rows(running, n=500)}, format="json"
        )
    assert response.json()["created"] == 500
    with django_assert_max_num_queries(25):
        response = client.post(
            "/api/v1/measurements/bulk/",
            {"measurements": _rows(running, n=500, value="43")},
            format="json",
        )
    assert response.json()["updated"] == 500


def test_rows_for_a_pilot_that_is_not_running_are_refused(api_as, platform, approved_pilot):
    response = api_as(platform).post(
        "/api/v1/measurements/bulk/", {"measurements": _rows(approved_pilot, n=1)}, format="json"
    )
    assert response.json()["details"] == {
        "measurements[0].pilot": ["Row 0: Helix in payments is approved, not running."]
    }


def test_more_than_10000_rows_are_refused(api_as, platform, running):
    rows = _rows(running, n=1) * 10_001
    response = api_as(platform).post(
        "/api/v1/measurements/bulk/", {"measurements": rows}, format="json"
    )
    assert response.json()["message"] == "At most 10000 rows per request."


def test_a_token_writes_only_to_granted_pilots(api, platform, running, make_pilot):
    token, key = service_token_create(
        name="telemetry", scopes=["measurements:write"], actor=platform
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    refused = api.post(
        "/api/v1/measurements/bulk/", {"measurements": _rows(running)}, format="json"
    )
    assert refused.status_code == 403
    assert Measurement.objects.count() == 0
    token.pilots.add(running)
    assert (
        api.post(
            "/api/v1/measurements/bulk/", {"measurements": _rows(running)}, format="json"
        ).json()["created"]
        == 4
    )
    assert api.get("/api/v1/measurements/").status_code == 403  # a write-only scope


def test_a_token_granted_one_pilot_cannot_write_to_another(api, platform, running, make_pilot):
    granted = make_pilot(title="Helix in search")
    token, key = service_token_create(
        name="telemetry", scopes=["measurements:write"], actor=platform, pilots=[granted]
    )
    assert list(token.pilots.all()) == [granted]  # granted one pilot, unlike a bare token
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(
        "/api/v1/measurements/bulk/", {"measurements": _rows(running)}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["message"] == f"This token is not granted pilot(s) {running.pk}."
    assert Measurement.objects.count() == 0


def test_a_shortlist_token_cannot_post_measurements(api, platform, running):
    _, key = service_token_create(name="gw", scopes=["shortlist:read"], actor=platform)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert (
        api.post(
            "/api/v1/measurements/bulk/", {"measurements": _rows(running)}, format="json"
        ).status_code
        == 403
    )


def test_an_ai_pm_posts_only_for_their_own_pilots(api_as, running):
    from tests.factories import UserFactory

    other = UserFactory(username="pm2", role="ai_pm")
    response = api_as(other).post(
        "/api/v1/measurements/bulk/", {"measurements": _rows(running)}, format="json"
    )
    assert response.status_code == 403


def test_the_csv_import_is_all_or_nothing_with_a_dry_run(running, tmp_path, platform):
    lines = ["pilot,metric,tier,period_start,period_end,value,sample_size"]
    lines += [
        f"{r['pilot']},{r['metric']},,{r['period_start']},{r['period_end']},{r['value']},20"
        for r in _rows(running)
    ]
    good = tmp_path / "good.csv"
    good.write_text("\n".join(lines))
    out = io.StringIO()
    call_command(
        "import_measurements",
        str(good),
        "--as-user",
        "platform",
        "--dry-run",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "Would write 4 of 4 rows" in out.getvalue()
    assert Measurement.objects.count() == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([*lines, f"{running.pk},reviewer-load,,2027-02-01,2027-01-01,1,1"]))
    with pytest.raises(CommandError, match="Row 4: The period ends before it starts"):
        call_command("import_measurements", str(bad), "--as-user", "platform", stderr=io.StringIO())
    assert Measurement.objects.count() == 0
    call_command(
        "import_measurements", str(good), "--as-user", "platform", stdout=out, stderr=io.StringIO()
    )
    assert Measurement.objects.filter(source="import").count() == 4


# --- evaluation -------------------------------------------------------------------------------


def _ingest(pilot, actor, values, metric="reviewer-load"):
    from governance.services.measurements import measurements_ingest

    rows = [
        {
            "pilot": pilot.pk,
            "metric": metric,
            "tier": "",
            "period_start": (START + timedelta(days=7 * i + 1)).isoformat(),
            "period_end": (START + timedelta(days=7 * i + 7)).isoformat(),
            "value": v,
            "sample_size": 25,
        }
        for i, v in enumerate(values)
    ]
    measurements_ingest(rows=rows, actor=actor)


def test_a_breach_flags_the_pilot_and_alerts_owner_and_finance(
    running, platform, ai_pm, finance, django_capture_on_commit_callbacks
):
    ai_pm.email, finance.email = "pm@example.com", "fin@example.com"
    ai_pm.save(), finance.save()
    # baseline 42 minutes; +20% = 50.4; weeks 9-12 (after day 60) at 55
    _ingest(running, platform, ["44"] * 8 + ["55"] * 5)
    with (
        time_machine.travel(START + timedelta(days=90), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        record = checkpoint_evaluate(pilot=running, checkpoint_day=90)
    result = record.results.get()
    assert (result.verdict, result.baseline, record.kill_recommended) == (
        "breached",
        Decimal("42.0000"),
        True,
    )
    running.refresh_from_db()
    assert running.kill_recommended is True
    assert running.status == "running"  # the kill itself stays a human decision
    breach = Notification.objects.filter(kind=NotificationKind.KILL_CRITERION_BREACHED)
    assert set(breach.values_list("user__username", flat=True)) == {"ai_pm", "finance"}
    assert sorted(mail.outbox[0].to) == ["fin@example.com", "pm@example.com"]


def test_evaluating_twice_changes_nothing(running, platform):
    _ingest(running, platform, ["44"] * 5)
    with time_machine.travel(START + timedelta(days=30), tick=False):
        first = checkpoint_evaluate(pilot=running, checkpoint_day=30)
        second = checkpoint_evaluate(pilot=running, checkpoint_day=30)
    assert first.pk == second.pk
    assert CheckpointEvaluation.objects.count() == 1
    assert first.results.get().verdict == "in_grace"


def test_the_daily_sweep_catches_up_and_moves_to_review_after_the_last(running, platform):
    _ingest(running, platform, ["40"] * 25)
    with time_machine.travel(START + timedelta(days=200), tick=False):
        done = checkpoints_evaluate_due()
        assert checkpoints_evaluate_due() == []
    assert [day for _, day in done] == [30, 90, 180]
    running.refresh_from_db()
    assert running.status == "under_review"
    # By id: the fixtures' own transitions are stamped later (after_the_periods).
    assert running.history.order_by("pk").last().reason == "last checkpoint (day 180) evaluated"


def test_a_checkpoint_that_has_not_come_is_refused(running):
    from django.core.exceptions import ValidationError

    with (
        time_machine.travel(START + timedelta(days=10), tick=False),
        pytest.raises(ValidationError, match="it has not come yet"),
    ):
        checkpoint_evaluate(pilot=running, checkpoint_day=30)


def test_the_api_evaluates_on_demand(api_as, ai_pm, running, platform):
    _ingest(running, platform, ["44"] * 5)
    with time_machine.travel(START + timedelta(days=31), tick=False):
        response = api_as(ai_pm).post(
            f"/api/v1/pilots/{running.pk}/evaluate/", {"checkpoint_day": 30}
        )
    assert response.status_code == 200, response.json()
    assert response.json()["results"][0]["verdict"] == "in_grace"


def test_notifications_are_per_user_and_can_be_marked_read(api_as, ai_pm, finance):
    from governance.services.notifications import notify

    notify(users=[ai_pm], kind="checkpoint", title="Hello", body="b")
    mine = api_as(ai_pm).get("/api/v1/notifications/?unread=1").json()
    assert [n["title"] for n in mine["results"]] == ["Hello"]
    assert api_as(finance).get("/api/v1/notifications/").json()["count"] == 0
    nid = mine["results"][0]["id"]
    assert api_as(finance).post(f"/api/v1/notifications/{nid}/read/").status_code == 404
    assert api_as(ai_pm).post(f"/api/v1/notifications/{nid}/read/").json()["read_at"]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_evaluation_runs_in_a_real_worker(celery_worker_available, running, platform):
    from governance.tasks import evaluate_checkpoint

    _ingest(running, platform, ["44"] * 5)
    # The worker runs on the real clock, not this test's travelled one: start the pilot 40
    # real days ago so that its day 30 has come there.
    from governance.models import Pilot

    real_today = time_machine.escape_hatch.datetime.datetime.now().date()
    Pilot.objects.filter(pk=running.pk).update(started_on=real_today - timedelta(days=40))
    payload = evaluate_checkpoint.delay(running.pk, 30).get(timeout=60)
    assert payload["hostname"]
    assert CheckpointEvaluation.objects.filter(pk=payload["evaluation"]).exists()


def test_platform_grants_a_telemetry_token_to_pilots(client, platform, pilot):
    client.force_login(platform)
    client.post(
        "/admin/governance/servicetoken/add/",
        {"name": "telemetry", "scopes": ["measurements:write"], "pilots": [pilot.pk]},
    )
    from governance.models import ServiceToken

    token = ServiceToken.objects.get(name="telemetry")
    assert list(token.pilots.all()) == [pilot]
    page = client.get(f"/admin/governance/servicetoken/{token.pk}/change/").content.decode()
    assert "Helix in payments" in page

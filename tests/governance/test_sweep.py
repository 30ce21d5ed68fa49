"""Faults: stuck renders and imports run again, retry takes a stuck job, every task runs once."""

import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from auditlog.models import LogEntry
from celery import signals
from django.conf import settings
from django.utils import timezone

from governance.choices import PacketStatus
from governance.config.celery import app as celery_app
from governance.models import ImportRun, Packet, TeamMember
from governance.models.evidence import ImportKind, ImportStatus
from governance.services.imports import import_create, import_retry
from governance.services.packets import packet_request, packet_retry
from governance.services.sweep import stuck_work_requeue
from governance.tasks import render_packet, requeue_stuck_work, run_import
from tests.factories import TeamFactory
from tests.governance.workers import own_workers, route_to, wait_for
from vendors.kit.errors import DomainError

MEMBERS = Path(__file__).resolve().parent.parent / "data" / "teams" / "members.csv"
LATER = timedelta(seconds=settings.TOLLGATE_STUCK_AFTER + 1)


@pytest.fixture
def teams(db):
    TeamFactory(name="Payments")
    TeamFactory(name="Search", github_slug="search-team")


@pytest.fixture
def workers(tmp_path, transactional_db):
    """Real workers of this test's own (see tests/governance/workers.py)."""
    yield from own_workers(tmp_path)


def _rendering(published, security):
    """A shortlist packet a worker took (queued -> rendering) and then lost with the worker."""
    packet = packet_request(kind="shortlist", subject_id=published.pk, actor=security)
    # What packet_render's first step writes before the render itself.
    Packet.objects.filter(pk=packet.pk).update(status=PacketStatus.RENDERING, attempts=1)
    packet.history.create(from_status="queued", to_status="rendering")
    return packet


# --- settings --------------------------------------------------------------------------------


def test_a_killed_worker_s_message_comes_back_within_minutes():
    options = celery_app.conf.broker_transport_options
    assert options["visibility_timeout"] == settings.CELERY_VISIBILITY_TIMEOUT == 300
    assert options["unacked_restore_interval"] == 30
    assert celery_app.conf.task_acks_late and celery_app.conf.task_reject_on_worker_lost
    # The sweep comes after the broker's own redelivery, and beat runs it every few minutes.
    assert settings.TOLLGATE_STUCK_AFTER > settings.CELERY_VISIBILITY_TIMEOUT
    entry = settings.CELERY_BEAT_SCHEDULE["stuck-work"]
    assert entry["task"] == "governance.tasks.requeue_stuck_work"
    assert entry["schedule"] <= 300


# --- packets ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_render_left_rendering_is_queued_again_and_rendered_once(
    published, security, django_capture_on_commit_callbacks
):
    packet = _rendering(published, security)
    assert stuck_work_requeue()["packets_requeued"] == []  # it has not been long enough
    with (
        time_machine.travel(timezone.now() + LATER),
        django_capture_on_commit_callbacks(execute=True),
    ):
        done = stuck_work_requeue()
    assert done["packets_requeued"] == [packet.pk]
    packet.refresh_from_db()
    assert (packet.status, packet.sequence, packet.attempts) == ("ready", 1, 2)
    requeued = packet.history.get(from_status="rendering", to_status="queued")
    assert requeued.actor is None  # the system did it
    assert requeued.reason.startswith("re-queued: stuck rendering since ")
    assert Packet.objects.count() == 1


@pytest.mark.django_db
def test_a_queued_packet_whose_message_was_lost_is_queued_again_once_per_bound(
    published, security, django_capture_on_commit_callbacks
):
    packet = packet_request(kind="shortlist", subject_id=published.pk, actor=security)
    later = timezone.now() + LATER
    with time_machine.travel(later), django_capture_on_commit_callbacks() as queued:
        assert stuck_work_requeue()["packets_requeued"] == [packet.pk]
        # The re-queue restarts the clock: the next sweep leaves it to the worker.
        assert stuck_work_requeue()["packets_requeued"] == []
    assert len(queued) == 1
    assert packet.history.filter(from_status="queued", to_status="queued").count() == 1


@pytest.mark.django_db
def test_a_packet_lost_too_often_is_failed_for_a_person_to_retry(published, security):
    packet = _rendering(published, security)
    Packet.objects.filter(pk=packet.pk).update(attempts=settings.TOLLGATE_STUCK_MAX_ATTEMPTS)
    with time_machine.travel(timezone.now() + LATER):
        assert stuck_work_requeue()["packets_failed"] == [packet.pk]
    packet.refresh_from_db()
    assert packet.status == "failed"
    assert packet.error == "Its render was started 3 times and never finished."
    assert packet.history.last().reason.endswith("after 3 attempts")


@pytest.mark.django_db
def test_a_redelivered_render_after_the_sweep_s_makes_one_packet(
    published, security, django_capture_on_commit_callbacks
):
    packet = _rendering(published, security)
    with time_machine.travel(timezone.now() + LATER), django_capture_on_commit_callbacks():
        stuck_work_requeue()  # queued again; its message is not delivered yet
    # The lost worker's own message comes back first (the broker's redelivery), then the
    # sweep's: the first renders, the second finds it ready.
    assert render_packet.apply(args=[packet.pk]).get()["status"] == "ready"
    assert render_packet.apply(args=[packet.pk]).get()["status"] == "ready"
    packet.refresh_from_db()
    assert (packet.sequence, packet.attempts) == (1, 2)
    assert Packet.objects.filter(status="ready").count() == 1
    assert packet.history.filter(to_status="ready").count() == 1


@pytest.mark.django_db
def test_a_second_delivery_of_a_render_in_progress_says_so_in_the_history(published, security):
    packet = _rendering(published, security)
    render_packet.apply(args=[packet.pk])
    redelivered = packet.history.get(from_status="rendering", to_status="rendering")
    assert redelivered.reason == "delivered again (attempt 2): its worker was lost"


@pytest.mark.django_db
def test_retry_refuses_a_render_in_flight_until_it_is_stuck(
    published, security, django_capture_on_commit_callbacks
):
    packet = _rendering(published, security)
    with pytest.raises(DomainError, match="may be retried once it has not moved for 10 minutes"):
        packet_retry(packet=packet, actor=security)
    with (
        time_machine.travel(timezone.now() + LATER),
        django_capture_on_commit_callbacks(execute=True),
    ):
        packet_retry(packet=packet, actor=security)
    packet.refresh_from_db()
    assert packet.status == "ready"
    retried = packet.history.get(from_status="rendering", to_status="queued")
    assert (retried.actor, retried.reason) == (security, "retry requested: stuck in flight")


@pytest.mark.django_db
def test_the_retry_endpoint_and_page_take_a_stuck_packet(
    published, security, api_as, client, django_capture_on_commit_callbacks
):
    packet = _rendering(published, security)
    api = api_as(security)
    refused = api.post(f"/api/v1/packets/{packet.pk}/retry/")
    assert refused.status_code == 400
    assert "may be retried once" in str(refused.json())
    client.force_login(security)
    assert client.get(f"/packets/{packet.pk}/").context["can_retry"] is False
    with time_machine.travel(timezone.now() + LATER):
        assert client.get(f"/packets/{packet.pk}/").context["can_retry"] is True
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(f"/api/v1/packets/{packet.pk}/retry/")
    assert response.status_code == 202
    assert Packet.objects.get().status == "ready"


# --- imports ---------------------------------------------------------------------------------


def _members_run(ai_pm) -> ImportRun:
    return import_create(kind=ImportKind.TEAM_MEMBERS, actor=ai_pm, path=str(MEMBERS))


def _lost_while_running(run: ImportRun) -> None:
    """What a worker killed mid-import leaves: running (its transaction rolled back)."""
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )


@pytest.mark.django_db
def test_an_import_left_running_is_queued_again_and_counts_once(
    teams, ai_pm, django_capture_on_commit_callbacks
):
    run = _members_run(ai_pm)
    _lost_while_running(run)
    assert stuck_work_requeue()["imports_requeued"] == []
    with (
        time_machine.travel(timezone.now() + LATER),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert stuck_work_requeue()["imports_requeued"] == [run.pk]
    run.refresh_from_db()
    assert (run.status, run.created) == (ImportStatus.SUCCEEDED, 4)
    assert TeamMember.objects.count() == 4
    entry = LogEntry.objects.get_for_object(run).get(additional_data__requeued=True)
    assert entry.changes_dict["status"] == ["running", "queued"]
    assert entry.additional_data["reason"] == "re-queued: stuck running"
    assert entry.actor is None


@pytest.mark.django_db
def test_the_same_import_task_delivered_twice_counts_once(teams, ai_pm):
    run = _members_run(ai_pm)
    first = run_import.apply(args=[run.pk]).get()
    second = run_import.apply(args=[run.pk]).get()
    assert first == second == {"id": run.pk, "status": "succeeded", "created": 4, "updated": 0}
    assert TeamMember.objects.count() == 4
    # Delivered again after a lost worker (still running): it imports, once.
    again = _members_run(ai_pm)
    _lost_while_running(again)
    assert run_import.apply(args=[again.pk]).get()["status"] == "succeeded"
    assert run_import.apply(args=[again.pk]).get()["status"] == "succeeded"
    assert TeamMember.objects.count() == 4  # the same file: its rows were there already


@pytest.mark.django_db
def test_an_import_lost_too_often_is_failed(teams, ai_pm, django_capture_on_commit_callbacks):
    run = _members_run(ai_pm)
    now = timezone.now()
    for lost in range(settings.TOLLGATE_STUCK_MAX_ATTEMPTS):
        with time_machine.travel(now + LATER * (lost + 1)), django_capture_on_commit_callbacks():
            _lost_while_running(run)
            assert stuck_work_requeue()["imports_requeued"] == []
        with time_machine.travel(now + LATER * (lost + 2)), django_capture_on_commit_callbacks():
            assert stuck_work_requeue()["imports_requeued"] == [run.pk]
    with time_machine.travel(now + LATER * 10):
        assert stuck_work_requeue()["imports_failed"] == [run.pk]
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert run.errors[0]["message"] == "its worker was lost 4 times; import the file again"


@pytest.mark.django_db
def test_retry_takes_a_stuck_import_and_refuses_a_live_or_finished_one(
    teams, ai_pm, security, api_as, django_capture_on_commit_callbacks
):
    run = _members_run(ai_pm)
    _lost_while_running(run)
    with pytest.raises(DomainError, match="may be retried once it has not moved for 10 minutes"):
        import_retry(run=run, actor=ai_pm)
    with time_machine.travel(timezone.now() + LATER):
        assert api_as(security).post(f"/api/v1/imports/{run.pk}/retry/").status_code == 403
        with django_capture_on_commit_callbacks(execute=True):
            response = api_as(ai_pm).post(f"/api/v1/imports/{run.pk}/retry/")
    assert response.status_code == 202, response.json()
    run.refresh_from_db()
    assert run.status == ImportStatus.SUCCEEDED
    entry = LogEntry.objects.get_for_object(run).get(additional_data__requeued=True)
    assert (entry.actor, entry.additional_data["reason"]) == (
        ai_pm,
        "retry requested: stuck in flight",
    )
    refused = api_as(ai_pm).post(f"/api/v1/imports/{run.pk}/retry/")
    assert refused.status_code == 400
    assert "a finished import is not run again" in str(refused.json())


@pytest.mark.django_db
def test_the_sweep_task_calls_the_service(published, security):
    packet = _rendering(published, security)
    with time_machine.travel(timezone.now() + LATER):
        result = requeue_stuck_work.apply().get()
    assert result["packets_requeued"] == [packet.pk]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_a_live_worker_holds_is_never_taken_for_stuck(teams, ai_pm):
    """A running import holds its row lock for the whole import (PostgreSQL): skipped."""
    import threading

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    run = _members_run(ai_pm)
    _lost_while_running(run)
    locked, release = threading.Event(), threading.Event()

    def live_import():
        with transaction.atomic():
            ImportRun.objects.select_for_update().get(pk=run.pk)
            locked.set()
            release.wait(30)
        connections.close_all()

    holder = threading.Thread(target=live_import)
    holder.start()
    try:
        assert locked.wait(30)
        with time_machine.travel(timezone.now() + LATER):
            assert stuck_work_requeue()["imports_requeued"] == []
    finally:
        release.set()
        holder.join(30)
    assert ImportRun.objects.get(pk=run.pk).status == ImportStatus.RUNNING


# --- a real worker killed mid-render ---------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_render_whose_worker_is_killed_is_done_exactly_once_by_another(
    workers, published, security, monkeypatch
):
    route_to(monkeypatch, workers.queue, "governance.tasks.render_packet")
    published_ids: list[str] = []

    def record(headers=None, **kwargs):
        if headers and headers.get("task") == "governance.tasks.render_packet":
            published_ids.append(headers["id"])

    signals.before_task_publish.connect(record, weak=False)
    try:
        # Worker A takes the render and hangs in it (its PDF step never returns).
        first = workers.start("a", env={"TEST_RENDER_HANGS": "1"})
        packet = packet_request(kind="shortlist", subject_id=published.pk, actor=security)
        wait_for(
            lambda: Packet.objects.get(pk=packet.pk).status == "rendering",
            timeout=60,
            what="worker A to start rendering",
        )
        first.kill()  # SIGKILL by pid: the message stays unacknowledged on the broker
        assert first.process.returncode == -9

        # The sweep finds it stuck (the bound is 0 s here) and queues it again.
        assert stuck_work_requeue(stuck_after=3600)["packets_requeued"] == []
        assert stuck_work_requeue(stuck_after=0)["packets_requeued"] == [packet.pk]

        # Worker B, which also gives back unacknowledged messages older than 5 s, so the one A
        # held comes back too: B gets both deliveries, and renders once.
        second = workers.start("b", env={"CELERY_VISIBILITY_TIMEOUT": "5"})
        wait_for(
            lambda: Packet.objects.get(pk=packet.pk).status == "ready",
            timeout=120,
            what="worker B to render the packet",
        )
        original, requeued = published_ids
        wait_for(
            lambda: second.task_lines(original) and second.task_lines(requeued),
            timeout=90,
            what="A's message to come back to B after the visibility timeout",
        )
    finally:
        signals.before_task_publish.disconnect(record)

    packet.refresh_from_db()
    assert (packet.status, packet.sequence, packet.attempts) == ("ready", 1, 2)
    assert Packet.objects.filter(kind="shortlist", subject_id=published.pk).count() == 1
    assert packet.history.filter(to_status="ready").count() == 1
    assert Packet.objects.get(pk=packet.pk).file.size > 0
    for task_id in (original, requeued):
        assert {line["state"] for line in second.task_lines(task_id)} == {"SUCCESS"}
    assert first.task_lines(original) == []  # A never finished it
    assert {line["task_name"] for line in second.task_lines(original)} == {
        "governance.tasks.render_packet"
    }


# --- two workers finishing together ----------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_renders_finishing_together_take_one_place_each_in_the_chain(security, monkeypatch):
    """Found by the cluster smoke run: the second render read the old tail once the first let
    go of it and took the same sequence, failing its packet (PostgreSQL only)."""
    import threading

    from django.db import connection, connections
    from django.db.models.fields.files import FieldFile

    from governance.services import packets as packet_services

    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    packets = [
        Packet.objects.create(
            kind=kind,
            subject_id=subject_id,
            subject_label=kind,
            status=PacketStatus.RENDERING,
            attempts=1,
            requested_by=security,
        )
        for kind, subject_id in (("shortlist", 1), ("pilot_charter", 1))
    ]
    # A slow storage write between reading the tail and saving the row opens the window.
    save = FieldFile.save

    def slow_save(self, *args, **kwargs):
        time.sleep(0.5)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(FieldFile, "save", slow_save)
    together = threading.Barrier(2)
    errors: list[BaseException] = []

    def finish(packet):
        try:
            together.wait(10)
            packet_services._finish(packet.pk, f"%PDF {packet.pk}".encode(), 1, {})
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=finish, args=(p,)) for p in packets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    ready = list(Packet.objects.filter(status=PacketStatus.READY).order_by("sequence"))
    assert [p.sequence for p in ready] == [1, 2]
    assert ready[1].previous_packet == ready[0].pk
    assert ready[1].previous_hash == ready[0].seal  # the chain links seals


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_requests_of_one_subject_on_two_nodes_get_the_same_packet(
    published, security, monkeypatch
):
    """Found by the cluster smoke run: both requests found nothing in flight and the later
    insert failed on the one-in-flight index, a 500 (PostgreSQL only)."""
    import threading

    from django.db import connection, connections

    from governance.services import packets as packet_services

    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    monkeypatch.setattr(packet_services, "_enqueue", lambda packet: None)
    # A pause between the in-flight check and the insert opens the window for both.
    full_clean = Packet.full_clean

    def slow_full_clean(self, *args, **kwargs):
        time.sleep(0.5)
        return full_clean(self, *args, **kwargs)

    monkeypatch.setattr(Packet, "full_clean", slow_full_clean)
    together = threading.Barrier(2)
    answers: list = []

    def request():
        try:
            together.wait(10)
            packet = packet_request(kind="shortlist", subject_id=published.pk, actor=security)
            answers.append(packet.pk)
        except BaseException as error:  # reported by the assertion below
            answers.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    packet = Packet.objects.get(kind="shortlist", subject_id=published.pk)
    assert answers == [packet.pk, packet.pk]

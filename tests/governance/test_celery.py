"""Celery plumbing: eager on a laptop, a real separate worker under CI."""

import os

import pytest

from governance.models import WorkerHeartbeat
from governance.services.ops import heartbeat_request
from governance.tasks import heartbeat


@pytest.mark.django_db
def test_without_a_broker_the_task_runs_in_process(settings):
    result = heartbeat.delay()
    record = WorkerHeartbeat.objects.get(task_id=result.id)
    assert record.eager is True
    assert record.pid == os.getpid()


@pytest.mark.django_db
def test_running_the_same_task_id_twice_keeps_one_record():
    heartbeat.apply(task_id="fixed-id")
    heartbeat.apply(task_id="fixed-id")
    assert WorkerHeartbeat.objects.filter(task_id="fixed-id").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_request_is_queued_only_after_commit(platform):
    task_id = heartbeat_request(user=platform)
    # transaction=True: on_commit callbacks fire at once outside an atomic block.
    assert WorkerHeartbeat.objects.get(task_id=task_id).requested_by == platform


@pytest.mark.django_db
def test_platform_can_queue_a_heartbeat_through_the_api(
    api_as, platform, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(platform).post("/api/v1/heartbeats/")
    assert response.status_code == 202
    assert WorkerHeartbeat.objects.filter(task_id=response.json()["task_id"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["security", "legal", "ai_pm", "finance", "auditor"])
def test_other_roles_cannot_queue_a_heartbeat(api_as, persona, role):
    assert api_as(persona(role)).post("/api/v1/heartbeats/").status_code == 403


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_the_task_in_another_process(celery_worker_available):
    result = heartbeat.delay()
    payload = result.get(timeout=30)
    record = WorkerHeartbeat.objects.get(task_id=result.id)
    assert record.eager is False
    assert record.pid == payload["pid"]
    assert record.pid != os.getpid()
    assert record.hostname  # the worker's node name, e.g. celery@host

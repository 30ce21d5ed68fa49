"""Team membership import, and the import service's contract every importer shares."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from governance.models import ImportRun, TeamMember
from governance.models.evidence import ImportKind, ImportStatus
from governance.services.imports import import_create, import_execute
from tests.factories import TeamFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "teams"
pytestmark = pytest.mark.django_db


@pytest.fixture
def teams():
    return {
        "payments": TeamFactory(name="Payments"),
        "search": TeamFactory(name="Search", github_slug="search-team"),
    }


def run_file(name: str, actor, **kwargs) -> ImportRun:
    run = import_create(kind=ImportKind.TEAM_MEMBERS, actor=actor, path=str(DATA / name), **kwargs)
    return import_execute(run_id=run.pk)


def test_membership_over_time_by_team_name_or_github_slug(teams, ai_pm):
    run = run_file("members.csv", ai_pm)
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert (run.rows_read, run.created, run.updated, run.skipped) == (4, 4, 0, 0)
    assert len(run.file_sha256) == 64
    rows = {
        (m.login, m.team.name, str(m.valid_from), str(m.valid_to))
        for m in TeamMember.objects.select_related("team")
    }
    assert rows == {
        ("alice", "Payments", "2026-01-01", "None"),
        ("bob", "Payments", "2026-01-01", "2026-06-30"),
        ("bob", "Search", "2026-07-01", "None"),
        ("carol", "Search", "2026-03-01", "None"),
    }


def test_reimporting_the_same_file_changes_nothing(teams, ai_pm):
    run_file("members.csv", ai_pm)
    again = run_file("members.csv", ai_pm)
    assert (again.created, again.updated) == (0, 0)
    assert TeamMember.objects.count() == 4


def test_a_bad_line_rejects_the_whole_file_and_is_named(teams, ai_pm):
    run = run_file("members_bad.csv", ai_pm)
    assert run.status == ImportStatus.FAILED
    assert TeamMember.objects.count() == 0
    assert {(e["line"], e["field"]) for e in run.errors} == {
        (3, "team"),
        (4, "from"),
        (5, "to"),
    }


def test_skip_bad_imports_the_good_lines_and_lists_the_bad(teams, ai_pm):
    run = run_file("members_bad.csv", ai_pm, skip_bad=True)
    assert run.status == ImportStatus.SUCCEEDED
    assert (run.created, run.skipped) == (1, 3)
    assert [e["line"] for e in run.errors] == [3, 4, 5]


def test_dry_run_counts_but_writes_nothing(teams, ai_pm):
    run = run_file("members.csv", ai_pm, dry_run=True)
    assert (run.status, run.created) == (ImportStatus.SUCCEEDED, 4)
    assert TeamMember.objects.count() == 0


def test_a_file_that_is_not_utf8_fails_cleanly(teams, ai_pm):
    run = run_file("members_latin1.csv", ai_pm)
    assert run.status == ImportStatus.FAILED
    assert run.errors[0]["message"] == "not UTF-8 text"
    assert TeamMember.objects.count() == 0


@pytest.mark.parametrize("role", ["security", "legal", "auditor"])
def test_roles_without_the_import_permission_are_refused(teams, role, request):
    with pytest.raises(PermissionDenied):
        import_create(
            kind=ImportKind.TEAM_MEMBERS,
            actor=request.getfixturevalue(role),
            path=str(DATA / "members.csv"),
        )


def test_the_command_imports_and_fails_loudly(teams, ai_pm):
    out = io.StringIO()
    call_command(
        "import_team_members", str(DATA / "members.csv"), as_user=ai_pm.username, stdout=out
    )
    assert TeamMember.objects.count() == 4
    assert "rows read 4, created 4, updated 0, skipped 0" in out.getvalue()
    out = io.StringIO()
    with pytest.raises(CommandError, match="3 error"):
        call_command(
            "import_team_members", str(DATA / "members_bad.csv"), as_user=ai_pm.username, stdout=out
        )
    assert "line 3: team: no team named 'Nowhere'" in out.getvalue()


@pytest.mark.parametrize(
    "role, kind",
    [
        ("finance", ImportKind.TEAM_MEMBERS),
        ("finance", ImportKind.PULL_REQUESTS),
        ("ai_pm", ImportKind.GATEWAY_LOGS),
        ("ai_pm", ImportKind.COPILOT_METRICS),
    ],
)
def test_each_kind_is_imported_only_by_the_roles_that_own_its_rows(teams, role, kind, request):
    with pytest.raises(PermissionDenied, match="may not import"):
        import_create(kind=kind, actor=request.getfixturevalue(role), path=str(DATA / "x"))


def test_an_uploaded_run_cannot_name_a_server_path(teams, ai_pm):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("members.csv", (DATA / "members.csv").read_bytes())
    run = import_create(
        kind=ImportKind.TEAM_MEMBERS,
        actor=ai_pm,
        upload=upload,
        options={"path": "/etc/passwd"},
    )
    assert "path" not in run.options
    assert import_execute(run_id=run.pk).created == 4


def test_an_unexpected_fault_fails_the_run_and_writes_nothing(teams, ai_pm, monkeypatch):
    from governance import importers

    monkeypatch.setitem(
        importers.IMPORTERS, ImportKind.TEAM_MEMBERS, "tests.governance.faulty:import_then_fail"
    )
    run = run_file("members.csv", ai_pm)
    assert run.status == ImportStatus.FAILED
    assert run.errors == [
        {
            "line": 0,
            "field": "import",
            "message": "the import stopped on an unexpected error (RuntimeError)",
        }
    ]
    assert TeamMember.objects.count() == 0


def test_a_finished_run_delivered_again_changes_nothing(teams, ai_pm):
    run = run_file("members.csv", ai_pm)
    again = import_execute(run_id=run.pk)
    assert (again.status, again.created, again.finished_at) == (
        ImportStatus.SUCCEEDED,
        4,
        run.finished_at,
    )
    assert TeamMember.objects.count() == 4


def test_a_run_left_running_by_a_dead_worker_is_done_on_redelivery(teams, ai_pm):
    run = import_create(kind=ImportKind.TEAM_MEMBERS, actor=ai_pm, path=str(DATA / "members.csv"))
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING)
    assert import_execute(run_id=run.pk).status == ImportStatus.SUCCEEDED
    assert TeamMember.objects.count() == 4


def test_a_task_that_gives_up_marks_its_run_failed(teams, ai_pm):
    from governance.tasks import run_import

    run = import_create(kind=ImportKind.TEAM_MEMBERS, actor=ai_pm, path=str(DATA / "members.csv"))
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING)
    run_import.on_failure(ConnectionError("database gone"), "task-id", (run.pk,), {}, None)
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert run.errors[0]["message"] == "the import could not finish (ConnectionError)"


def test_skip_bad_lists_every_skipped_line(teams, ai_pm, tmp_path):
    bad = tmp_path / "many_bad.csv"
    bad.write_text(
        "login,team,from,to\nalice,Payments,2026-01-01,\n"
        + "".join(f"p{n},Nowhere,2026-01-01,\n" for n in range(1500))
    )
    run = import_execute(
        run_id=import_create(
            kind=ImportKind.TEAM_MEMBERS, actor=ai_pm, path=str(bad), skip_bad=True
        ).pk
    )
    assert (run.status, run.created, run.skipped, len(run.errors)) == ("succeeded", 1, 1500, 1500)
    assert run.errors[-1]["line"] == 1502


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_waits_a_bounded_time_for_the_one_before(teams, ai_pm, settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the import lock is PostgreSQL's; SQLite serialises writers itself")
    import psycopg

    from governance.services.imports import IMPORT_LOCK

    settings.TOLLGATE_IMPORT_LOCK_WAIT = 1
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=False) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
        run = run_file("members.csv", ai_pm)
    assert run.status == ImportStatus.FAILED
    assert run.errors[0]["message"] == "another import kept running; try again later"
    assert TeamMember.objects.count() == 0
    assert run_file("members.csv", ai_pm).status == ImportStatus.SUCCEEDED

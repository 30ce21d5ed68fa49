"""POST /api/v1/imports/ and GET /api/v1/imports/{id}/: queued, run by Celery, polled."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from governance.models import ImportRun, TeamMember
from governance.models.evidence import ImportKind, ImportStatus
from governance.services.imports import import_create
from governance.tasks import run_import
from tests.factories import TeamFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "teams"


@pytest.fixture
def teams(db):
    TeamFactory(name="Payments")
    TeamFactory(name="Search", github_slug="search-team")


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (DATA / name).read_bytes(), content_type="text/csv")


@pytest.mark.django_db
def test_an_upload_is_queued_run_and_polled(
    teams, ai_pm, api_as, django_capture_on_commit_callbacks
):
    client = api_as(ai_pm)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports/",
            {"kind": "team_members", "file": upload("members.csv")},
            format="multipart",
        )
    assert response.status_code == 202, response.json()
    run_id = response.json()["id"]
    polled = client.get(f"/api/v1/imports/{run_id}/").json()
    assert {k: polled[k] for k in ("status", "progress", "rows_read", "created", "errors")} == {
        "status": "succeeded",
        "progress": 100,
        "rows_read": 4,
        "created": 4,
        "errors": [],
    }
    assert polled["requested_by"] == ai_pm.username
    assert len(polled["file_sha256"]) == 64
    assert TeamMember.objects.count() == 4


@pytest.mark.django_db
def test_bad_lines_come_back_by_number_and_field(
    teams, ai_pm, api_as, django_capture_on_commit_callbacks
):
    client = api_as(ai_pm)
    with django_capture_on_commit_callbacks(execute=True):
        run_id = client.post(
            "/api/v1/imports/",
            {"kind": "team_members", "file": upload("members_bad.csv"), "dry_run": True},
            format="multipart",
        ).json()["id"]
    polled = client.get(f"/api/v1/imports/{run_id}/").json()
    assert polled["status"] == "failed"
    assert polled["errors"][0] == {
        "line": 3,
        "field": "team",
        "message": "no team named 'Nowhere'",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "nonsense"}, "kind"),
        ({"kind": "team_members"}, "file"),
        ({"kind": "github_sync"}, "org"),
        ({"kind": "pull_requests", "repo": "not a repo", "file": None}, "repo"),
    ],
)
def test_a_bad_request_is_a_400_naming_the_field(teams, platform, api_as, body, field):
    body = {k: v for k, v in body.items() if v is not None}
    response = api_as(platform).post("/api/v1/imports/", body, format="multipart")
    assert response.status_code == 400
    assert field in str(response.json())


EVIDENCE_FORBIDDEN = [
    ("security", "get", "/api/v1/imports/", None),
    ("legal", "get", "/api/v1/imports/{run}/", None),
    ("auditor", "post", "/api/v1/imports/", {"kind": "team_members"}),
    ("security", "get", "/api/v1/team-metrics/", {"team": "Payments", "metric": "pr-size"}),
    ("legal", "post", "/api/v1/pilots/{pilot}/compute-baselines/", {"weeks": 4}),
    ("security", "get", "/api/v1/spend/summary/", {"group_by": "tier"}),
    ("legal", "get", "/api/v1/copilot/usage/", None),
    ("security", "get", "/api/v1/copilot/seats/", None),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "method", "url", "body"), EVIDENCE_FORBIDDEN)
def test_each_evidence_route_refuses_a_role_without_access(
    teams, persona, api_as, ai_pm, pilot, role, method, url, body
):
    run = import_create(kind=ImportKind.TEAM_MEMBERS, actor=ai_pm, path=str(DATA / "members.csv"))
    url = url.format(run=run.pk, pilot=pilot.pk)
    client = api_as(persona(role))
    response = client.get(url, body) if method == "get" else client.post(url, body)
    assert response.status_code == 403, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["security", "legal", "auditor"])
def test_roles_that_do_not_import_are_forbidden(teams, persona, api_as, role):
    response = api_as(persona(role)).post(
        "/api/v1/imports/",
        {"kind": "team_members", "file": upload("members.csv")},
        format="multipart",
    )
    assert response.status_code == 403
    assert not ImportRun.objects.exists()


@pytest.mark.django_db
def test_anyone_without_evidence_read_cannot_poll(teams, ai_pm, security, api_as):
    run = import_create(kind=ImportKind.TEAM_MEMBERS, actor=ai_pm, path=str(DATA / "members.csv"))
    assert api_as(security).get(f"/api/v1/imports/{run.pk}/").status_code == 403
    assert api_as(None).get(f"/api/v1/imports/{run.pk}/").status_code in (401, 403)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_an_import(teams, ai_pm, celery_worker_available):
    # A path both processes can read (the test's media folder is its own).
    run = import_create(kind=ImportKind.TEAM_MEMBERS, actor=ai_pm, path=str(DATA / "members.csv"))
    payload = run_import.delay(run.pk).get(timeout=60)
    run.refresh_from_db()
    assert payload["status"] == run.status == ImportStatus.SUCCEEDED
    assert TeamMember.objects.count() == 4


@pytest.mark.django_db
def test_pages_refuse_roles_that_may_not_compute_or_import(teams, client, persona, pilot):
    client.force_login(persona("finance"))
    response = client.post(f"/pilots/{pilot.pk}/compute-baselines/", {"weeks": 4})
    assert response.status_code == 403
    client.force_login(persona("security"))
    assert client.get("/admin/governance/importrun/add/").status_code == 403
    client.force_login(persona("finance"))
    page = client.get("/admin/governance/importrun/add/")
    # finance imports usage, not people: the form offers only what it may run
    kinds = [c[0] for c in page.context["adminform"].form.fields["kind"].choices]
    assert kinds == ["gateway_logs", "copilot_metrics"]


@pytest.mark.django_db
def test_a_sync_by_api_takes_the_commands_options(teams, platform, api_as):
    response = api_as(platform).post(
        "/api/v1/imports/",
        {
            "kind": "github_sync",
            "org": "acme",
            "repo": ["acme/api", "acme/web"],
            "teams": "true",
            "since": "2026-11-01T00:00:00Z",
        },
        format="multipart",
    )
    assert response.status_code == 202, response.json()
    run = ImportRun.objects.get(pk=response.json()["id"])
    assert run.options == {
        "org": "acme",
        "repos": ["acme/api", "acme/web"],
        "teams": True,
        "since": "2026-11-01T00:00:00+00:00",
    }
    bad = api_as(platform).post(
        "/api/v1/imports/",
        {"kind": "github_sync", "org": "acme", "repo": ["acme/api", "not a repo"]},
        format="multipart",
    )
    assert bad.status_code == 400


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00"
    b":~\x9bU\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00\x00IEND"
    b"\xaeB`\x82"
)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["copilot_metrics", "pull_requests", "gateway_logs"])
def test_an_uploaded_binary_file_fails_by_line_and_ends(
    teams, platform, api_as, django_capture_on_commit_callbacks, kind
):
    # Found by the CI fuzz run: a stored upload is read through Django's File, whose line
    # iterator starts again from the top; a reader that restarted after a bad line looped.
    client = api_as(platform)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports/",
            {"kind": kind, "file": SimpleUploadedFile("file.png", PNG)},
            format="multipart",
        )
    assert response.status_code == 202
    polled = client.get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert polled["status"] == "failed"
    assert polled["errors"] and polled["errors"][0]["line"] >= 1

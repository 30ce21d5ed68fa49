"""The whole access matrix: every persona (each role, a signed-in user without one, anonymous)
against every API operation of the OpenAPI schema and every admin URL of every registered
ModelAdmin, compared with the expected-access table in tests/security/access.py.

A cell fails when a persona gets through where the table says it may not (an unauthorized
success), when it is refused where the table says it may, when the answer is a 5xx, and when an
operation or a model is missing from the table (a new endpoint must be placed in it first).

"Gets through" means the permission gate let the request reach the view's work: a 2xx or 3xx
(a redirect to a sign-in page aside), or a 400 / 409 / 415 / 422 about the body it was sent.
Unsafe methods are sent with an empty body, so the work itself rarely happens; where it does
(a DELETE, a logout), each cell's transaction is rolled back. Object rules that are only checked
once a body validates (an AI PM's own pilot against another's) are tests/security/
test_object_rules.py's. Admin deletes are exercised by the confirmation page (GET), which asks
the same has_delete_permission as the POST that deletes.

The world is built once per module (seed_demo without its imported evidence, plus a row for
each admin model it leaves empty) and every cell runs in a savepoint rolled back after it.
"""

import io
from itertools import product
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from knox.models import AuthToken
from rest_framework.test import APIClient

from governance.choices import Role
from governance.config.celery import app as celery_app
from tests.factories import UserFactory
from tests.security.access import ADMIN, ADMIN_OPERATIONS, API, EVERYONE, ROLES, personas_of

PERSONAS = list(EVERYONE)
PASSWORD = "matrix-Passw0rd-long-enough"
METHODS = ("get", "post", "put", "patch", "delete")

# Statuses that mean the permission gate refused (404: the object is outside the caller's
# scope, or the route does not exist for them).
REFUSED = {401, 403, 404, 405}
# Statuses that mean the request reached the view's work with a body it could not use.
REACHED = {400, 409, 415, 422}


def _api_operations() -> list[tuple[str, str]]:
    """Every (METHOD, path template) of the OpenAPI schema, as drf-spectacular generates it."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in METHODS
    ]


def _admin_models() -> list[str]:
    """Every model registered in the admin site, by label."""
    return sorted(model._meta.label_lower for model in admin.site._registry)


API_OPERATIONS = _api_operations()
ADMIN_MODELS = _admin_models()
API_CELLS = [(persona, *operation) for persona, operation in product(PERSONAS, API_OPERATIONS)]
ADMIN_CELLS = list(product(PERSONAS, ADMIN_MODELS, ADMIN_OPERATIONS))


# --- the world, once per module --------------------------------------------------------------


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("matrix-media")


@pytest.fixture(autouse=True)
def _private_media(settings, media_dir):
    """The module's world keeps its files (packets, evidence) in one directory for all cells."""
    settings.MEDIA_ROOT = media_dir
    return media_dir


def _storages(media_dir: Path) -> dict:
    """The storages with the chain's anchors beside the module's media, never the real ones."""
    return {
        **settings.STORAGES,
        "anchors": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media_dir / "anchors")},
        },
    }


@pytest.fixture(autouse=True)
def _private_anchors(settings, media_dir):
    """Anchors written by a cell go beside the module's media."""
    settings.STORAGES = _storages(media_dir)


def _empty_admin_rows(users: dict) -> None:
    """A row for the domain models seed_demo leaves empty without its imported evidence, so
    their change and delete pages are asked about a real object."""
    from datetime import date
    from decimal import Decimal

    from governance.models import ImportRun, Notification, Pilot
    from governance.services.benefits import benefit_record
    from governance.services.tokens import service_token_create
    from tests.factories import make_pdf

    ImportRun.objects.create(kind="team_members", requested_by=users["ai_pm"], file_name="t.csv")
    Notification.objects.create(
        user=users["ai_pm"], kind="checkpoint_due", title="Due", body="Due."
    )
    service_token_create(
        name="telemetry", scopes=["measurements:write"], pilots=[], actor=users["platform"]
    )
    benefit_record(
        actor=users["finance"],
        pilot=Pilot.objects.filter(owner=users["ai_pm"]).order_by("pk").first(),
        category="defect_cost_avoided",
        amount=Decimal(1000),
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        description="Escaped defects down.",
        evidence=make_pdf("q1.pdf"),
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, media_dir):
    """seed_demo's world, the personas and their signed-in clients; rolled back at the end."""
    from django.contrib.auth import get_user_model
    from django.test.utils import override_settings

    eager = celery_app.conf.task_always_eager
    # Packets render here, in the world's transaction, which a worker could not see.
    celery_app.conf.task_always_eager = True
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media_dir, STORAGES=_storages(media_dir)),
        transaction.atomic(),
    ):
        try:
            call_command("seed_demo", password=PASSWORD, no_evidence=True, stdout=io.StringIO())
            users = {role: get_user_model().objects.get(username=role) for role in ROLES}
            # Staff, so the admin asks its permissions rather than sending them to sign in.
            users["nobody"] = UserFactory(username="matrix-nobody", is_staff=True)
            _empty_admin_rows(users)
        finally:
            celery_app.conf.task_always_eager = eager
        api, pages = {"anonymous": APIClient()}, {"anonymous": Client()}
        for persona, user in users.items():
            _instance, key = AuthToken.objects.create(user)
            api[persona] = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
            pages[persona] = Client()
            pages[persona].force_login(user)
        yield {"users": users, "api": api, "pages": pages}
        transaction.set_rollback(True)


# --- objects named in paths ------------------------------------------------------------------


def _api_object(path: str, users: dict):
    """The object a path template's {id} or {slug} names: the first of its resource, the AI
    PM persona's own where rows have an owner."""
    from auditlog.models import LogEntry

    from governance import models as g
    from vendors import models as v

    resources = {
        "assessments": v.Assessment.objects.all(),
        "audit": LogEntry.objects.all(),
        "baselines": g.Baseline.objects.all(),
        "benefits": g.AuditedBenefit.objects.all(),
        "checklist-items": v.ChecklistItem.objects.all(),
        "evaluations": g.CheckpointEvaluation.objects.all(),
        "evidence": v.Evidence.objects.all(),
        "exceptions": v.RiskException.objects.all(),
        "imports": g.ImportRun.objects.all(),
        "kill-criteria": g.KillCriterion.objects.all(),
        "measurements": g.Measurement.objects.all(),
        "metrics": g.Metric.objects.all(),
        "model-switches": v.ModelSwitch.objects.all(),
        "model-versions": v.ModelVersion.objects.all(),
        "notifications": g.Notification.objects.filter(user=users["ai_pm"]),
        "offerings": v.Offering.objects.all(),
        "packets": g.Packet.objects.filter(status="ready"),
        "pilots": g.Pilot.objects.filter(owner=users["ai_pm"]),
        "responses": v.Response.objects.all(),
        "reviews": g.QuarterlyReview.objects.all(),
        "shortlist/entries": v.ShortlistEntry.objects.all(),
        "shortlist/versions": v.ShortlistVersion.objects.all(),
        "signoffs": g.SignOff.objects.all(),
        "spend": g.Spend.objects.all(),
        "teams": g.Team.objects.all(),
        "vendors": v.Vendor.objects.all(),
    }
    rest = path.removeprefix("/api/v1/")
    resource = next(
        (name for name in sorted(resources, key=len, reverse=True) if rest.startswith(name + "/")),
        None,
    )
    assert resource is not None, f"{path}: add its resource to _api_object"
    found = resources[resource].order_by("pk").first()
    assert found is not None, f"{path}: the world has no {resource}"
    return found


def _api_url(path: str, users: dict) -> str:
    if "{" not in path:
        return path
    found = _api_object(path, users)
    return path.replace("{id}", str(found.pk)).replace("{slug}", str(getattr(found, "slug", "")))


def _admin_url(label: str, operation: str) -> str:
    app_label, model_name = label.split(".")
    model = next(m for m in admin.site._registry if m._meta.label_lower == label)
    page = operation.split(":")[0]
    if page in ("changelist", "add"):
        return reverse(f"admin:{app_label}_{model_name}_{page}")
    found = model._default_manager.order_by("pk").first()
    # No row (framework tables nobody in the demo touched): the page still asks the model-level
    # permission before it finds the object missing.
    pk = found.pk if found is not None else 0
    return reverse(f"admin:{app_label}_{model_name}_{page}", args=[pk])


# --- the cells -------------------------------------------------------------------------------


def _api_reached(status: int) -> bool:
    assert status < 500, f"server error {status}"
    assert status != 429, "throttled: the matrix must not trip the lockout"
    if status in REFUSED:
        return False
    return status < 400 or status in REACHED


def _admin_reached(response) -> bool:
    assert response.status_code < 500, f"server error {response.status_code}"
    if 300 <= response.status_code < 400:
        # Sent to sign in (the admin's page, or the site's for anyone not signed in) is refused.
        login_pages = ("/admin/login/", resolve_url(settings.LOGIN_URL))
        return not response["Location"].startswith(login_pages)
    return response.status_code < 400


def matrix_size() -> str:
    """The matrix's size in words (printed at the end of every run that includes it)."""
    return (
        f"access matrix: {len(PERSONAS)} personas x ({len(API_OPERATIONS)} API operations"
        f" + {len(ADMIN_MODELS)} admin models x {len(ADMIN_OPERATIONS)} admin pages)"
        f" = {len(API_CELLS)} API cells + {len(ADMIN_CELLS)} admin cells"
        f" = {len(API_CELLS) + len(ADMIN_CELLS)} cells"
    )


def test_the_matrix_covers_every_operation_and_model():
    assert set(ROLES) == set(Role.values), "access.ROLES must name every role"
    operations = {f"{method} {path}" for method, path in API_OPERATIONS}
    assert sorted(operations - set(API)) == [], "API operations missing from access.API"
    assert sorted(set(API) - operations) == [], "access.API names operations that are gone"
    assert sorted(set(ADMIN_MODELS) - set(ADMIN)) == [], "admin models missing from access.ADMIN"
    assert sorted(set(ADMIN) - set(ADMIN_MODELS)) == [], "access.ADMIN names unregistered models"


# POSTs that change nothing: verifying a packet, calculating from given inputs, ending one's own
# token. The only ones the auditor (who changes nothing) may make.
READ_ONLY_POSTS = {
    "POST /api/v1/packets/verify/",
    "POST /api/v1/roi/calculate/",
    "POST /api/v1/roi/tier-cost/",
    "POST /api/v1/auth/token/",
    "POST /api/v1/auth/logout/",
    "POST /api/v1/auth/logout-all/",
}


def test_the_table_lets_the_auditor_change_nothing():
    writes = [
        operation
        for operation, value in API.items()
        if "auditor" in personas_of(value)
        and not operation.startswith("GET ")
        and operation not in READ_ONLY_POSTS
    ]
    assert writes == []
    assert [
        model
        for model, permissions in ADMIN.items()
        if any("auditor" in personas_of(permissions[p]) for p in ("add", "change", "delete"))
    ] == []


def test_the_table_lets_no_one_without_a_role_read_or_write_records():
    own = {
        "POST /api/v1/auth/token/",
        "POST /api/v1/auth/logout/",
        "POST /api/v1/auth/logout-all/",
        "GET /api/v1/me/",
        "GET /api/v1/notifications/",
    }
    assert sorted(op for op, value in API.items() if "nobody" in personas_of(value)) == sorted(own)
    assert [op for op, value in API.items() if "anonymous" in personas_of(value)] == [
        "POST /api/v1/auth/token/"
    ]
    assert not any(
        {"nobody", "anonymous"} & personas_of(value)
        for permissions in ADMIN.values()
        for value in permissions.values()
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "method", "path"),
    API_CELLS,
    ids=[f"{persona}-{method} {path}" for persona, method, path in API_CELLS],
)
def test_api_cell(world, persona, method, path):
    allowed = persona in personas_of(API.get(f"{method} {path}", ""))
    client = world["api"][persona]
    url = _api_url(path, world["users"])
    if method == "GET":
        response = client.get(url)
    else:
        response = getattr(client, method.lower())(url, {}, format="json")
    reached = _api_reached(response.status_code)
    if reached and not allowed:
        pytest.fail(f"unauthorized success: {persona} {method} {url} -> {response.status_code}")
    if allowed and not reached:
        pytest.fail(f"expected access refused: {persona} {method} {url} -> {response.status_code}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "model", "operation"),
    ADMIN_CELLS,
    ids=[f"{persona}-{model}-{operation}" for persona, model, operation in ADMIN_CELLS],
)
def test_admin_cell(world, persona, model, operation):
    permission = ADMIN_OPERATIONS[operation]
    allowed = persona in personas_of(ADMIN.get(model, {}).get(permission, ""))
    client = world["pages"][persona]
    url = _admin_url(model, operation)
    response = client.post(url, {}) if operation.endswith(":post") else client.get(url)
    reached = _admin_reached(response)
    if reached and not allowed:
        pytest.fail(f"unauthorized success: {persona} {operation} {url} -> {response.status_code}")
    if allowed and not reached:
        pytest.fail(
            f"expected access refused: {persona} {operation} {url} -> {response.status_code}"
        )

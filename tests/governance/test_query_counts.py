"""Each page's query count stays the same as the data grows (issue 9, P2 and P3)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.models import (
    Baseline,
    KillCriterion,
    Measurement,
    Metric,
    Notification,
    Pilot,
    SignOff,
)
from governance.services.checkpoints import checkpoints_evaluate_due
from tests.factories import OfferingFactory, TeamFactory, UserFactory
from tests.governance.conftest import START

pytestmark = pytest.mark.django_db


# Days 30 and 90 have come, the last (180) not: moving a pilot to review is per pilot.
TODAY = START + timedelta(days=100)


def _grow(n: int, status: str) -> list[Pilot]:
    """n pilots in a status with teams, baselines, kill criteria, measurements, a sign-off."""
    owner = UserFactory(username=f"owner-{status}-{Pilot.objects.count()}", role="ai_pm")
    offering = OfferingFactory()
    metrics = {m.code: m for m in Metric.objects.all()}
    pilots = []
    for i in range(n):
        started = START if status == "running" else None
        pilot = Pilot.objects.create(
            title=f"{status} pilot {Pilot.objects.count()}",
            owner=owner,
            offering=offering,
            workflows=["test_generation"],
            use_case="Scale test.",
            agentic=False,
            planned_start=START,
            planned_end=START + timedelta(days=75),
            status=status,
            started_on=started,
        )
        pilot.teams.add(TeamFactory())
        Baseline.objects.create(
            pilot=pilot,
            metric=metrics["reviewer-load"],
            value=Decimal("42"),
            sample_size=10,
            period_start=START - timedelta(days=60),
            period_end=START - timedelta(days=1),
        )
        KillCriterion.objects.create(
            pilot=pilot,
            metric=metrics["reviewer-load"],
            comparator="worse_pct",
            threshold=Decimal("20"),
            evaluate_from_day=60,
        )
        if status == "submitted" and i % 2:
            SignOff.objects.create(
                subject_kind="pilot",
                subject_id=pilot.pk,
                role="security",
                user=UserFactory(),
                decision="approve",
                digest="0" * 64,
            )
        if started:
            Measurement.objects.bulk_create(
                Measurement(
                    pilot=pilot,
                    metric=metrics["reviewer-load"],
                    period_start=START + timedelta(days=d),
                    period_end=START + timedelta(days=d),
                    # Over 20% worse than the baseline of 42 after day 60: a breach to alert.
                    value=Decimal("55") + d % 7,
                    # At the kill criteria's minimum sample (20): smaller periods never breach.
                    sample_size=20,
                )
                for d in range(0, 190, 3)
            )
        pilots.append(pilot)
    return pilots


def _count(action) -> int:
    with CaptureQueriesContext(connection) as ctx:
        action()
    return len(ctx)


def _get(client, url: str):
    def run():
        response = client.get(url)
        assert response.status_code == 200, url

    return run


@pytest.fixture
def auditor_client(client, persona):
    user = persona("auditor")
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


def _small_then_large(action, grow) -> tuple[int, int]:
    grow(2)
    action()  # warm caches (content types, permissions) that are per-process, not per-request
    small = _count(action)
    grow(12)
    return small, _count(action)


def test_the_pilot_list_page_costs_the_same_for_2_or_14_pilots(auditor_client):
    small, large = _small_then_large(
        _get(auditor_client, "/pilots/"), lambda n: _grow(n, "running")
    )
    assert small == large
    html = auditor_client.get("/pilots/").content.decode()
    assert all(p.title in html for p in Pilot.objects.all())  # the page does list all 14


def test_the_pilot_list_api_costs_the_same_for_2_or_14_pilots(auditor_client):
    small, large = _small_then_large(
        _get(auditor_client, "/api/v1/pilots/"), lambda n: _grow(n, "running")
    )
    assert small == large
    assert auditor_client.get("/api/v1/pilots/").json()["count"] == 14


def test_the_pilot_page_costs_the_same_with_more_measurements(auditor_client):
    pilot = _grow(1, "running")[0]
    action = _get(auditor_client, f"/pilots/{pilot.pk}/")
    action()
    small = _count(action)
    metric = Metric.objects.get(code="reviewer-load")
    Measurement.objects.bulk_create(
        Measurement(
            pilot=pilot,
            metric=metric,
            period_start=START + timedelta(days=d),
            period_end=START + timedelta(days=d),
            value=Decimal("41"),
            sample_size=5,
        )
        for d in range(1, 190, 3)
    )
    assert _count(action) == small
    assert pilot.title in auditor_client.get(f"/pilots/{pilot.pk}/").content.decode()


def test_the_measurement_changelist_costs_the_same_for_more_rows(auditor_client):
    small, large = _small_then_large(
        _get(auditor_client, "/admin/governance/measurement/"), lambda n: _grow(n, "running")
    )
    assert small == large
    changelist = auditor_client.get("/admin/governance/measurement/").context["cl"]
    assert changelist.result_count == Measurement.objects.count() > 0


@pytest.mark.parametrize(
    ("role", "waiting"),
    [
        ("finance", 14),  # finance signed none of them: no charter needs hashing
        # Every other one has a security approval of an earlier charter: hashed, found stale.
        ("security", 14),
    ],
)
def test_the_signoff_queue_costs_the_same_for_2_or_14_submitted_pilots(
    client, persona, role, waiting
):
    client.force_login(persona(role))
    small, large = _small_then_large(
        _get(client, "/pilots/awaiting-signoff/"), lambda n: _grow(n, "submitted")
    )
    assert small == large
    response = client.get("/pilots/awaiting-signoff/")
    assert len(response.context["pilots"]) == waiting


@pytest.fixture
def cold_content_types():
    """Clear the content-type cache for a measurement, and warm it fully again afterwards.

    A serialized-rollback test reloads its rows through signals that look content types up:
    a cache left half empty makes them create duplicates before the real rows are reloaded.
    """
    yield ContentType.objects.clear_cache
    ContentType.objects.get_for_models(*apps.get_models(include_auto_created=True))


def test_the_checkpoint_sweep_costs_the_same_for_2_or_14_pilots(persona, cold_content_types):
    persona("finance")  # breaches alert finance: one query for them, one insert for all alerts
    _grow(2, "running")
    cold_content_types()
    small = CaptureQueriesContext(connection)
    with small:
        done = checkpoints_evaluate_due(today=TODAY)
    assert len(done) == 2 * 2
    Pilot.objects.update(status="closed", outcome="concluded")
    _grow(14, "running")
    cold_content_types()
    large = CaptureQueriesContext(connection)
    with large:
        done = checkpoints_evaluate_due(today=TODAY)
    assert len(done) == 14 * 2
    assert len(large) == len(small)
    entries = LogEntry.objects.filter(content_type__model="checkpointevaluation")
    assert entries.count() == 16 * 2  # audited as if saved one by one
    assert {"pilot", "checkpoint_day", "window_end"} <= set(entries.first().changes_dict)
    # Day 30 is in grace; at day 90 each of the 16 pilots breached.
    assert Notification.objects.filter(user__username="finance").count() == 16


def test_the_queue_reads_a_charter_digest_as_signing_does(
    client, persona, pilot, complete_pilot, sign_pilot, ai_pm
):
    from governance.services import pilots as ps

    complete_pilot(pilot)
    ps.pilot_submit(pilot=pilot, actor=ai_pm)
    sign_pilot(pilot, roles=("security",))
    client.force_login(persona("security"))
    assert client.get("/pilots/awaiting-signoff/").context["pilots"] == []
    client.force_login(persona("finance"))
    (waiting,) = client.get("/pilots/awaiting-signoff/").context["pilots"]
    assert (waiting.pk, waiting.pending_roles) == (pilot.pk, ["finance"])


def test_the_changelist_estimates_only_a_large_unfiltered_postgresql_table(monkeypatch):
    from governance.admin.mixins import EstimatedCountPaginator

    _grow(1, "running")
    exact = Measurement.objects.count()
    monkeypatch.setattr(EstimatedCountPaginator, "EXACT_BELOW", 0)
    filtered = Measurement.objects.filter(tier="")
    assert EstimatedCountPaginator(filtered, 100).count == exact
    unfiltered = EstimatedCountPaginator(Measurement.objects.all(), 100).count
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE governance_measurement")
        unfiltered = EstimatedCountPaginator(Measurement.objects.all(), 100).count
        assert unfiltered == pytest.approx(exact, rel=0.2)
    else:
        assert unfiltered == exact


def test_the_finance_page_costs_the_same_for_2_or_14_pilots(client, persona):
    from django.utils import timezone

    from governance.models import QuarterlyReview
    from governance.selectors.finance import quarter_of

    user = persona("finance")
    client.force_login(user)
    quarter = quarter_of(timezone.localdate())

    def grow(n):
        for pilot in _grow(n, "running")[::2]:
            QuarterlyReview.objects.create(
                quarter=quarter,
                scope="pilot",
                pilot=pilot,
                decision="hold",
                rationale="Hold.",
                decided_by=user,
                decided_at=timezone.now(),
            )

    small, large = _small_then_large(_get(client, "/finance/"), grow)
    assert small == large

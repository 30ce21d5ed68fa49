"""The adoption funnel against a hand-built transition history: counts, where and why the
stopped ones stopped, median and 90th-percentile days per gate, pilot-to-decision time."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from governance.choices import PilotOutcome, PilotStatus
from governance.models import Pilot, PilotTransition
from governance.selectors.funnel import STAGES, funnel, percentile
from governance.templatetags.money import number
from tests.factories import OfferingFactory, TeamFactory, UserFactory
from tests.page_text import PageText
from vendors.choices import AssessmentStatus
from vendors.models import Assessment, AssessmentTransition

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
P = PilotStatus


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def _assessment(vendor, steps: list[tuple[float, str, str, str]]) -> Assessment:
    """An assessment opened at day 0 and moved at the given days (day, from, to, reason)."""
    with time_machine.travel(T0, tick=False):
        a = Assessment.objects.create(vendor=vendor, status=AssessmentStatus.IN_REVIEW)
    for day, from_status, to_status, reason in steps:
        with time_machine.travel(at(day), tick=False):
            AssessmentTransition.objects.create(
                assessment=a, from_status=from_status, to_status=to_status, reason=reason
            )
    Assessment.objects.filter(pk=a.pk).update(status=steps[-1][2] if steps else a.status)
    return a


def _pilot(offering, team, owner, created: float, path: list[tuple[float, str]], outcome=""):
    """A pilot registered at `created` and moved along `path` (day, to status)."""
    with time_machine.travel(at(created), tick=False):
        pilot = Pilot.objects.create(
            title=f"pilot {Pilot.objects.count()}",
            owner=owner,
            offering=offering,
            workflows=["test_generation"],
            use_case="Funnel.",
            agentic=False,
            planned_start=date(2027, 2, 1),
            planned_end=date(2027, 4, 15),
        )
    pilot.teams.add(team)
    status = P.DRAFT
    for day, to in path:
        with time_machine.travel(at(day), tick=False):
            PilotTransition.objects.create(
                pilot=pilot, from_status=status, to_status=to, reason=f"to {to}"
            )
        status = to
    Pilot.objects.filter(pk=pilot.pk).update(
        status=status, outcome=outcome if status == P.CLOSED else ""
    )
    return pilot


CHARTER = [(5, P.SUBMITTED), (10, P.APPROVED)]


@pytest.fixture
def history():
    """Vendor A: approved in 10 days, then 4 pilots; vendor B rejected; vendor C approved and
    lapsed; vendor D withdrawn. Pilots: one withdrawn, one expanded, one killed, one running."""
    owner = UserFactory(username="owner", role="ai_pm")
    offering = OfferingFactory()
    team, other = TeamFactory(name="Payments"), TeamFactory(name="Search")
    vendor = offering.vendor
    _assessment(vendor, [(10, "in_review", "approved", "")])
    _assessment(
        OfferingFactory().vendor, [(30, "in_review", "rejected", "DATA-1 training opt-out")]
    )
    _assessment(
        OfferingFactory().vendor,
        [(20, "in_review", "approved", ""), (200, "approved", "in_review", "evidence expired")],
    )
    _assessment(OfferingFactory().vendor, [(3, "in_review", "withdrawn", "vendor left")])
    _pilot(offering, team, owner, 12, [(14, P.WITHDRAWN)])
    _pilot(
        offering,
        team,
        owner,
        14,
        [*CHARTER, (24, P.RUNNING), (114, P.UNDER_REVIEW), (134, P.CLOSED)],
        PilotOutcome.EXPANDED,
    )
    _pilot(
        offering,
        other,
        owner,
        20,
        [*CHARTER, (40, P.RUNNING), (130, P.UNDER_REVIEW), (140, P.CLOSED)],
        PilotOutcome.KILLED,
    )
    _pilot(offering, team, owner, 30, [*CHARTER, (60, P.RUNNING)])
    return {"vendor": vendor, "team": team, "other": other}


def _stage(result, name):
    return next(s for s in result["stages"] if s["stage"] == name)


def test_it_counts_who_entered_and_who_stopped_at_each_gate(history):
    result = funnel()
    counts = {s["stage"]: (s["entered"], s["stopped"], s["passed"]) for s in result["stages"]}
    assert counts == {
        "vendor_review": (4, 2, 2),  # B rejected, D withdrawn; A and C approved
        "shortlist": (2, 1, 1),  # C lapsed; A's vendor chartered a pilot
        "pilot_charter": (4, 1, 3),
        "running": (3, 0, 2),
        "checkpoint": (2, 0, 2),
        "decision": (2, 1, 1),
        "production": (1, 0, 0),
    }


def test_it_says_why_they_stopped(history):
    result = funnel()
    assert _stage(result, "vendor_review")["stopped_why"] == {
        "blocked by a checklist item": 1,
        "withdrawn": 1,
    }
    assert _stage(result, "shortlist")["stopped_why"] == {"expired": 1}
    assert _stage(result, "pilot_charter")["stopped_why"] == {"withdrawn": 1}
    assert _stage(result, "decision")["stopped_why"] == {"killed": 1}
    details = {s["reason"]: s["detail"] for s in result["stopped"]}
    assert details["blocked by a checklist item"] == "DATA-1 training opt-out"
    assert details["expired"] == "evidence expired"


def test_it_measures_median_and_p90_days_per_gate(history):
    result = funnel()
    # Vendor review: A 10 days, C 20 days.
    assert _stage(result, "vendor_review")["median_days"] == 15.0
    assert _stage(result, "vendor_review")["p90_days"] == 19.0
    # Shortlist: A approved at day 10, its vendor's first pilot chartered at day 12.
    assert _stage(result, "shortlist")["median_days"] == 2.0
    # Charter to running: 24-14 = 10, 40-20 = 20, 60-30 = 30.
    assert _stage(result, "pilot_charter")["median_days"] == 20.0
    assert _stage(result, "pilot_charter")["p90_days"] == 28.0
    # Running to review: 90 and 90; review to decision: 20 and 10.
    assert _stage(result, "running")["median_days"] == 90.0
    assert _stage(result, "checkpoint")["median_days"] == 15.0
    assert _stage(result, "checkpoint")["p90_days"] == 19.0
    # Pilot start to decision: 110 and 100 days.
    assert result["pilot_to_decision_days"] == {"count": 2, "median": 105.0, "p90": 109.0}


def test_percentiles_interpolate_between_ranks():
    assert percentile([], 50) is None
    assert percentile([10.0], 90) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 100.0], 90) == 61.6


def test_it_filters_by_team_vendor_and_range(history):
    by_team = funnel(team=history["other"].pk)
    assert _stage(by_team, "pilot_charter")["entered"] == 1
    assert _stage(by_team, "decision")["stopped_why"] == {"killed": 1}
    # A team's funnel starts with the vendors it piloted.
    assert _stage(by_team, "vendor_review")["entered"] == 1
    by_vendor = funnel(vendor=history["vendor"].pk)
    assert _stage(by_vendor, "vendor_review")["entered"] == 1
    assert _stage(by_vendor, "pilot_charter")["entered"] == 4
    late = funnel(date_from=date(2027, 1, 20), date_to=date(2027, 3, 31))
    # Only the pilots registered from day 16 on (days 20 and 30); no assessment opened then.
    assert _stage(late, "pilot_charter")["entered"] == 2
    assert _stage(late, "vendor_review")["entered"] == 0


def test_the_api_answers_in_the_issues_shape(api_as, finance, history):
    response = api_as(finance).get("/api/v1/portfolio/funnel/?from=2027-01-01&to=2027-12-31")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"stages", "pilot_to_decision_days"}
    assert {"stage", "entered", "stopped", "median_days", "p90_days"} <= set(body["stages"][0])
    assert body["pilot_to_decision_days"]["median"] == 105.0


def test_the_page_and_exports_show_the_same_numbers(client, finance, history):
    client.force_login(finance)
    page = client.get(reverse("funnel"))
    assert page.status_code == 200
    assert b"blocked by a checklist item: 1" in page.content
    book = load_workbook(
        io.BytesIO(client.get(reverse("funnel-export", args=["xlsx"])).content), read_only=True
    )
    sheet = list(book["funnel"].iter_rows(values_only=True))
    text = list(csv.reader(io.StringIO(client.get(reverse("funnel-export", args=["csv"])).text)))
    for stage in page.context["result"]["stages"]:
        row = next(r for r in sheet if r[0] == stage["stage"])
        assert row[1:6] == (
            stage["entered"],
            stage["stopped"],
            stage["passed"],
            stage["median_days"],
            stage["p90_days"],
        )
        line = next(r for r in text if r[0] == stage["stage"])
        assert int(line[1]) == stage["entered"]
    # The page shows the same numbers, formatted for people, and names each gate in words.
    shown = PageText(page.content.decode())
    result = page.context["result"]
    for stage, row in zip(result["stages"], shown.body("stages"), strict=True):
        assert row[0] == stage["label"]
        assert row[1:4] == [number(stage[k], 0) for k in ("entered", "passed", "stopped")]
        assert row[5:7] == [number(stage["median_days"], 1), number(stage["p90_days"], 1)]
    labels = dict(STAGES)
    stopped = shown.body("stopped")
    assert len(stopped) == len(result["stopped"]) > 0
    for subject, row in zip(result["stopped"], stopped, strict=True):
        assert row[1] == labels[subject["stage"]] and "_" not in row[1]


def test_the_stopped_list_is_paged_and_the_export_keeps_every_one(client, history, finance):
    offering = OfferingFactory()
    owner = UserFactory(username="owner2", role="ai_pm")
    for i in range(26):
        _pilot(offering, history["team"], owner, 12 + i / 10, [(14, P.WITHDRAWN)])
    client.force_login(finance)
    result = funnel()
    assert len(result["stopped"]) == 26 + 5  # the history's five, and these
    first = client.get(reverse("funnel"))
    second = client.get(f"{reverse('funnel')}?page=2")
    rows = [PageText(p.content.decode()).body("stopped") for p in (first, second)]
    assert [len(r) for r in rows] == [25, 6]
    shown = [row[0] for page in rows for row in page]
    assert shown == [s["label"] for s in result["stopped"]]
    assert "31 stopped · page 1 of 2" in PageText(first.content.decode()).text["stopped"]
    # The pager keeps the filters and changes only the page; the export lists every page.
    filtered = client.get(f"{reverse('funnel')}?team={history['team'].pk}&page=2").content
    assert f'href="?team={history["team"].pk}&amp;page=1#stopped"'.encode() in filtered
    assert f'export.csv?team={history["team"].pk}"'.encode() in filtered
    text = list(csv.reader(io.StringIO(client.get(reverse("funnel-export", args=["csv"])).text)))
    header = text.index(["kind", "id", "subject", "stopped at", "reason", "detail"])
    assert len(text) - header - 1 == 31


@pytest.mark.parametrize("role", ["finance", "security", "legal", "ai_pm", "auditor"])
def test_the_roles_of_the_gates_read_the_funnel(client, api_as, persona, role):
    user = persona(role)
    client.force_login(user)
    assert client.get(reverse("funnel")).status_code == 200
    assert api_as(user).get("/api/v1/portfolio/funnel/").status_code == 200


def test_platform_may_not_read_the_funnel(client, api_as, platform):
    client.force_login(platform)
    assert client.get(reverse("funnel")).status_code == 403
    assert client.get(reverse("funnel-export", args=["csv"])).status_code == 403
    assert api_as(platform).get("/api/v1/portfolio/funnel/").status_code == 403


def test_someone_without_a_role_may_not_read_the_funnel(client, api_as, nobody):
    client.force_login(nobody)
    assert client.get(reverse("funnel")).status_code == 403
    assert api_as(nobody).get("/api/v1/portfolio/funnel/").status_code == 403


def test_the_demo_funnel_shows_subjects_stopped_at_the_gates_for_a_reason():
    from django.core.management import call_command

    call_command("seed_demo", password="demo-pass-1", no_packets=True, no_evidence=True)
    result = funnel()
    why = {s["stage"]: s["stopped_why"] for s in result["stages"]}
    assert why["vendor_review"] == {"blocked by a checklist item": 1}
    assert why["pilot_charter"] == {"withdrawn": 2}
    assert why["decision"] == {"contracted": 1, "killed": 1}
    assert _stage(result, "production")["entered"] == 1
    assert all(s["detail"] for s in result["stopped"])
    call_command("seed_demo", no_packets=True, no_evidence=True)
    assert funnel()["stages"] == result["stages"]


def test_the_funnel_reads_the_same_number_of_queries_as_history_grows(history, finance):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        funnel()
    owner = UserFactory(username="owner-2", role="ai_pm")
    offering = OfferingFactory()
    for n in range(6):
        _pilot(offering, history["team"], owner, 40 + n, [*CHARTER, (70 + n, P.RUNNING)])
    with CaptureQueriesContext(connection) as large:
        result = funnel()
    assert _stage(result, "pilot_charter")["entered"] == 10
    assert len(large) == len(small)

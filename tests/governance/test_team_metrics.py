"""Weekly team series derived from imported evidence, checked against hand-computed values;
baselines computed from them, and the API that reads them."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from governance.choices import Source
from governance.models import (
    Baseline,
    EscapedDefect,
    GatewayDaily,
    Metric,
    PullRequest,
    TeamMember,
    TeamMetricValue,
)
from governance.services.evidence import attribute_events
from governance.services.team_metrics import pilot_baselines_compute, team_metrics_refresh
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 10, 5)  # pilots in tests/governance/conftest.py start 2027-01-04


def at(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)


def pr(number, author, opened, merged, *, adds=10, dels=0, reviews=0, approved=None, **kw):
    return PullRequest.objects.create(
        repo="acme/api",
        number=number,
        author=author,
        created_at=opened,
        updated_at=merged or opened,
        merged_at=merged,
        additions=adds,
        deletions=dels,
        review_count=reviews,
        last_approved_at=approved,
        **kw,
    )


@pytest.fixture
def payments():
    team = TeamFactory(name="Payments", headcount=10)
    for login in ("ana", "ben"):
        TeamMember.objects.create(login=login, team=team, valid_from=date(2026, 1, 1))
    return team


def value(team, code, monday=MONDAY, tier=""):
    return TeamMetricValue.objects.get(team=team, metric__code=code, tier=tier, period_start=monday)


def test_pull_request_series_match_hand_computed_values(payments):
    tue = MONDAY + timedelta(days=1)
    # Cycle times 10 h, 20 h, 60 h: median 20, mean 30. One defect from PR 2.
    pr(
        1,
        "ana",
        at(tue),
        at(tue, 10),
        adds=30,
        dels=10,
        reviews=2,
        approved=at(tue, 4),
        ai_assisted=True,
        tier="fast",
    )
    second = pr(
        2, "ben", at(tue), at(tue, 20), adds=100, reviews=1, approved=at(tue, 2), tier="fast"
    )
    pr(3, "ana", at(tue), at(tue, 60), adds=5, reviews=3, tier="heavy")
    pr(4, "ben", at(tue), None)  # open: not in any merged series
    pr(5, "zoe", at(tue), at(tue, 1))  # no membership: attributed to no team
    EscapedDefect.objects.create(
        repo="acme/api", number=900, opened_at=at(tue + timedelta(days=3)), pull_request=second
    )
    attribute_events()
    team_metrics_refresh()

    cycle = value(payments, "cycle-time", tier="all")
    assert (cycle.value, cycle.mean, cycle.sample_size) == (Decimal("20"), Decimal("30"), 3)
    # fast -> trivial (10 h and 20 h), heavy -> complex (60 h)
    assert value(payments, "cycle-time", tier="trivial").value == Decimal("15")
    assert value(payments, "cycle-time", tier="complex").value == Decimal("60")
    # 3 merged PRs, 2 engineers that week: 1.5 a week x 4.348 weeks a month
    throughput = value(payments, "feature-throughput").value
    assert throughput == (Decimal(3) / 2 * Decimal("365.25") / 12 / 7).quantize(Decimal("0.0001"))
    assert value(payments, "prs-per-engineer-month").value == throughput
    # review request unknown: from opening; 4 h and 2 h -> mean 180 minutes over 2 PRs
    load = value(payments, "reviewer-load")
    assert (load.value, load.sample_size) == (Decimal("180"), 2)
    assert value(payments, "review-events-per-pr").value == Decimal("2")
    assert value(payments, "pr-size").value == Decimal("40")  # sizes 40, 100, 5
    assert value(payments, "ai-assisted-share").value == Decimal("33.3333")
    assert value(payments, "defect-escape-rate").value == Decimal("0.3333")
    assert PullRequest.objects.get(number=5).team is None


def test_membership_decides_the_team_on_the_merge_day(payments):
    search = TeamFactory(name="Search")
    TeamMember.objects.filter(login="ben").update(valid_to=date(2026, 10, 6))
    TeamMember.objects.create(login="ben", team=search, valid_from=date(2026, 10, 7))
    before = pr(1, "ben", at(MONDAY), at(MONDAY + timedelta(days=1)))
    after = pr(2, "ben", at(MONDAY), at(MONDAY + timedelta(days=3)))
    attribute_events()
    before.refresh_from_db()
    after.refresh_from_db()
    assert (before.team, after.team) == (payments, search)
    # attributed rows that are already right are not rewritten (P6)
    assert attribute_events()["pull_requests"] == 0
    TeamMember.objects.filter(login="ben", team=search).delete()
    assert attribute_events()["pull_requests"] == 1  # the later PR now has no team
    after.refresh_from_db()
    assert after.team is None


def test_gateway_series_cost_per_request_and_cached_share(payments):
    for day, requests, spend, cached, tokens in (
        (MONDAY, 100, "2.50", 300, 1000),
        (MONDAY + timedelta(days=2), 300, "1.50", 100, 1000),
    ):
        GatewayDaily.objects.create(
            day=day,
            team=payments,
            team_key="payments",
            model="m",
            tier="fast",
            requests=requests,
            input_tokens=tokens,
            cached_tokens=cached,
            output_tokens=0,
            spend=Decimal(spend),
        )
    team_metrics_refresh()
    cost = value(payments, "cost-per-request")
    assert (cost.value, cost.sample_size) == (Decimal("0.01"), 400)  # 4.00 / 400
    assert value(payments, "cached-token-share").value == Decimal("20")  # 400 / 2000


def test_refresh_replaces_series_so_nothing_stale_survives(payments):
    pr(1, "ana", at(MONDAY), at(MONDAY, 5))
    attribute_events()
    team_metrics_refresh()
    assert value(payments, "cycle-time", tier="all").value == Decimal("5")
    PullRequest.objects.all().delete()
    team_metrics_refresh()
    assert not TeamMetricValue.objects.exists()


def test_baselines_are_computed_from_the_weeks_before_the_start(pilot, ai_pm):
    team = pilot.teams.get()
    TeamMember.objects.create(login="ana", team=team, valid_from=date(2026, 1, 1))
    start = pilot.planned_start
    # Two weeks inside the 12 before the start: 2 PRs of 10 h, then 1 of 40 h.
    pr(1, "ana", at(start - timedelta(weeks=3)), at(start - timedelta(weeks=3), 10), tier="fast")
    pr(2, "ana", at(start - timedelta(weeks=3)), at(start - timedelta(weeks=3), 10), tier="fast")
    pr(3, "ana", at(start - timedelta(weeks=2)), at(start - timedelta(weeks=2), 40), tier="fast")
    # Outside the window: ignored.
    pr(4, "ana", at(start - timedelta(weeks=20)), at(start - timedelta(weeks=20), 500))
    pr(5, "ana", at(start), at(start, 900))
    attribute_events()
    team_metrics_refresh()

    pilot_baselines_compute(pilot=pilot, actor=ai_pm)

    baseline = Baseline.objects.get(pilot=pilot, metric__code="cycle-time", tier="trivial")
    # the median over the window's PRs (10, 10, 40), not a mean of weekly medians (20)
    assert (baseline.value, baseline.sample_size) == (Decimal("10"), 3)
    assert baseline.source == Source.DERIVED
    assert baseline.period_end == start - timedelta(days=1)
    assert baseline.provenance["teams"] == [team.name]
    assert baseline.provenance["weeks"] == 12
    assert baseline.provenance["method"] == "median over the window's merged PRs"
    assert "governance_pullrequest" in baseline.provenance["query"]
    # cycle time over every PR, for teams whose gateway says nothing about tiers
    everything = Baseline.objects.get(pilot=pilot, metric__code="cycle-time", tier="all")
    assert (everything.value, everything.sample_size) == (Decimal("10"), 3)
    assert not Baseline.objects.filter(pilot=pilot, metric__code="cycle-time", tier="").exists()


def test_throughput_counts_every_engineer_week_of_the_window(pilot, ai_pm):
    team = pilot.teams.get()
    TeamMember.objects.create(login="ana", team=team, valid_from=date(2026, 1, 1))
    start = pilot.planned_start
    # 5 PRs by one engineer in 2 of the 4 weeks before the start.
    for n, weeks_before in enumerate((4, 4, 4, 1, 1)):
        merged = at(start - timedelta(weeks=weeks_before), 3)
        pr(n + 1, "ana", merged - timedelta(hours=2), merged)
    attribute_events()
    pilot_baselines_compute(pilot=pilot, actor=ai_pm, weeks=4)
    throughput = Baseline.objects.get(pilot=pilot, metric__code="feature-throughput")
    # 5 merged / 4 engineer-weeks x 365.25/12/7 weeks a month = 5.4353 (not 14.78, which
    # averaging the two busy weeks would give)
    assert throughput.value == Decimal("5.4353")
    assert throughput.sample_size == 5


def test_computing_baselines_without_series_says_what_to_import(pilot, ai_pm):
    with pytest.raises(Exception, match="import pull requests"):
        pilot_baselines_compute(pilot=pilot, actor=ai_pm)


def test_only_the_owner_may_compute_a_pilots_baselines(pilot, finance, api_as):
    response = api_as(finance).post(f"/api/v1/pilots/{pilot.pk}/compute-baselines/", {})
    assert response.status_code == 403


def test_compute_baselines_api(pilot, ai_pm, api_as):
    team = pilot.teams.get()
    TeamMember.objects.create(login="ana", team=team, valid_from=date(2026, 1, 1))
    week = pilot.planned_start - timedelta(weeks=1)
    pr(1, "ana", at(week), at(week, 6))
    attribute_events()
    team_metrics_refresh()
    response = api_as(ai_pm).post(
        f"/api/v1/pilots/{pilot.pk}/compute-baselines/", {"weeks": 4}, format="json"
    )
    assert response.status_code == 200, response.json()
    codes = {row["metric"] for row in response.json()}
    assert {"feature-throughput", "pr-size", "reviewer-load"} - codes == {"reviewer-load"}
    assert all(row["source"] == "derived" and row["provenance"] for row in response.json())
    for body in ({"weeks": 0}, {"weeks": 4, "end": "0001-01-02"}):
        bad = api_as(ai_pm).post(
            f"/api/v1/pilots/{pilot.pk}/compute-baselines/", body, format="json"
        )
        assert bad.status_code == 400, body


def test_team_metrics_api_reads_the_weekly_series(payments, finance, api_as):
    pr(1, "ana", at(MONDAY), at(MONDAY, 5))
    pr(2, "ana", at(MONDAY + timedelta(weeks=1)), at(MONDAY + timedelta(weeks=1), 7))
    attribute_events()
    team_metrics_refresh()
    response = api_as(finance).get(
        "/api/v1/team-metrics/",
        {"team": "Payments", "metric": "cycle-time", "from": str(MONDAY + timedelta(days=7))},
    )
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["period_start"], r["value"], r["sample_size"], r["source"]) for r in rows] == [
        (str(MONDAY + timedelta(weeks=1)), "7.0000", 1, "github")
    ]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"metric": "cycle-time"}, "team"),
        ({"team": "²", "metric": "cycle-time"}, "team"),
        ({"team": "Payments", "metric": "nope"}, "metric"),
        ({"team": "Payments", "metric": "cycle-time", "from": "soon"}, "from"),
        (
            {"team": "Payments", "metric": "cycle-time", "from": "2026-02-01", "to": "2026-01-01"},
            "to",
        ),
    ],
)
def test_team_metrics_api_names_bad_parameters(payments, finance, api_as, params, field):
    response = api_as(finance).get("/api/v1/team-metrics/", params)
    assert response.status_code == 400
    assert field in str(response.json())


def test_team_metrics_api_is_forbidden_without_the_evidence_role(payments, security, api_as):
    response = api_as(security).get("/api/v1/team-metrics/", {"team": "Payments", "metric": "x"})
    assert response.status_code == 403


def test_the_gateway_tags_say_which_tier_served_a_pull_request(payments):
    from governance.models import GatewayRequest

    first = pr(1, "ana", at(MONDAY), at(MONDAY, 10))
    second = pr(2, "ana", at(MONDAY), at(MONDAY, 30))
    untagged = pr(3, "ana", at(MONDAY), at(MONDAY, 50))
    for n, (tag, tier) in enumerate(
        [
            ("pr:acme/api#1", "fast"),
            ("pr:acme/api#1", "fast"),
            ("pr:acme/api#1", "heavy"),
            ("pr:Acme/API#2", "standard"),
            ("pr:acme/api#2", "heavy"),
            ("branch:x", "heavy"),
        ]
    ):
        GatewayRequest.objects.create(
            request_id=f"r{n}",
            started_at=at(MONDAY),
            day=MONDAY,
            model="m",
            tier=tier,
            tags=[tag, "team:payments"],
        )
    attribute_events()
    team_metrics_refresh()
    for pull in (first, second, untagged):
        pull.refresh_from_db()
    # most requests win; a tie goes to the heavier tier
    assert (first.tier, second.tier, untagged.tier) == ("fast", "heavy", "")
    assert value(payments, "cycle-time", tier="trivial").value == Decimal("10")
    assert value(payments, "cycle-time", tier="complex").value == Decimal("30")
    assert value(payments, "cycle-time", tier="all").sample_size == 3


def test_a_hand_typed_baseline_cannot_claim_to_be_derived(pilot, ai_pm, api_as):
    response = api_as(ai_pm).post(
        "/api/v1/baselines/",
        {
            "pilot": pilot.pk,
            "metric": "pr-size",
            "value": "40",
            "sample_size": 10,
            "period_start": "2026-09-01",
            "period_end": "2026-11-30",
            "source": "derived",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "computed from imported evidence" in str(response.json())
    assert not Baseline.objects.exists()


def test_running_pilots_get_weekly_measurements_and_hand_posted_ones_stay(running_pilot):
    from governance.models import Measurement
    from governance.services.team_metrics import pilot_measurements_derive

    team = running_pilot.teams.get()
    TeamMember.objects.create(login="ana", team=team, valid_from=date(2026, 1, 1))
    week = date(2027, 3, 8)  # a week with a hand-posted reviewer load (39, n=100)
    pr(1, "ana", at(week), at(week, 6), reviews=1, approved=at(week, 1))
    pr(2, "ana", at(week), at(week, 10), reviews=1, approved=at(week, 3))
    attribute_events()

    counts = pilot_measurements_derive(pilot=running_pilot, today=date(2027, 3, 20))

    derived = Measurement.objects.get(
        pilot=running_pilot, metric__code="cycle-time", tier="all", period_start=week
    )
    assert (derived.value, derived.sample_size, derived.source) == (
        Decimal("8"),
        2,
        Source.DERIVED,
    )
    hand = Measurement.objects.get(
        pilot=running_pilot, metric__code="reviewer-load", period_start=week
    )
    assert (hand.value, hand.source) == (Decimal("39"), "api")
    assert counts["kept"] == 2  # reviewer load and PRs per engineer-month, posted by hand
    # the evidence goes away (a corrected file): its derived weeks go with it
    PullRequest.objects.all().delete()
    again = pilot_measurements_derive(pilot=running_pilot, today=date(2027, 3, 20))
    assert again["removed"] == counts["created"]
    assert not Measurement.objects.filter(pilot=running_pilot, source=Source.DERIVED).exists()


def test_a_computed_baseline_says_which_typed_one_it_replaced(pilot, ai_pm, metrics):
    from governance.services.pilots import baseline_set

    team = pilot.teams.get()
    TeamMember.objects.create(login="ana", team=team, valid_from=date(2026, 1, 1))
    week = pilot.planned_start - timedelta(weeks=2)
    pr(1, "ana", at(week), at(week, 6), adds=70)
    attribute_events()
    baseline_set(
        pilot=pilot,
        metric=metrics["pr-size"],
        actor=ai_pm,
        value=Decimal("120"),
        sample_size=30,
        period_start=date(2026, 9, 1),
        period_end=date(2026, 11, 30),
    )
    pilot_baselines_compute(pilot=pilot, actor=ai_pm)
    size = Baseline.objects.get(pilot=pilot, metric__code="pr-size")
    assert size.value == Decimal("70")
    assert size.provenance["replaced"] == {
        "value": "120.0000",
        "sample_size": 30,
        "source": "manual",
    }


def test_a_running_pilot_without_teams_derives_nothing_and_fails_nothing(running_pilot):
    # Its empty team list once made the pull-request query unprintable (EmptyResultSet), which
    # failed every later import with the pilot running.
    from governance.services.team_metrics import pilot_measurements_derive

    running_pilot.teams.clear()
    counts = pilot_measurements_derive(pilot=running_pilot, today=date(2027, 3, 20))
    assert counts == {"created": 0, "updated": 0, "kept": 0, "removed": 0}


def test_a_post_that_lands_while_an_import_derives_is_kept(running_pilot, monkeypatch):
    # The cluster smoke lost hand-posted rows this way: the import read which keys were posted
    # by hand, a telemetry post landed, then the import wrote its derived rows over it (and
    # deleted, as stale, a derived row the post had just replaced).
    from governance.models import Measurement
    from governance.services import team_metrics
    from governance.services.team_metrics import pilot_measurements_derive

    team = running_pilot.teams.get()
    TeamMember.objects.create(login="ana", team=team, valid_from=date(2026, 1, 1))
    week, earlier = date(2027, 3, 8), date(2027, 3, 1)
    pr(1, "ana", at(week), at(week, 6), reviews=1, approved=at(week, 1))
    attribute_events()
    metric = Metric.objects.get(code="cycle-time")

    def week_of_cycle_time(start, value, source):
        return Measurement.objects.create(
            pilot=running_pilot,
            metric=metric,
            tier="all",
            period_start=start,
            period_end=start + timedelta(days=6),
            value=Decimal(value),
            sample_size=3,
            source=source,
        )

    # Derived by an earlier import; this one finds no evidence for it any more.
    stale = week_of_cycle_time(earlier, "5", Source.DERIVED)
    read = team_metrics.Evidence.read.__func__

    def read_then_a_post_lands(cls, *args, **kwargs):
        evidence = read(cls, *args, **kwargs)
        week_of_cycle_time(week, "99", Source.API)
        Measurement.objects.filter(pk=stale.pk).update(value=Decimal("55"), source=Source.API)
        return evidence

    monkeypatch.setattr(team_metrics.Evidence, "read", classmethod(read_then_a_post_lands))
    pilot_measurements_derive(pilot=running_pilot, today=date(2027, 3, 20))

    posted = Measurement.objects.filter(pilot=running_pilot, metric=metric, tier="all")
    assert {(m.period_start, m.value, m.source) for m in posted} == {
        (week, Decimal("99"), Source.API),
        (earlier, Decimal("55"), Source.API),
    }


def test_derived_rows_never_replace_a_posted_one(running_pilot):
    from governance.models import Measurement
    from governance.services.measurements import measurements_ingest

    hand = Measurement.objects.get(pilot=running_pilot, metric__code="reviewer-load")
    row = {
        "pilot": running_pilot.pk,
        "metric": "reviewer-load",
        "tier": "",
        "period_start": hand.period_start,
        "period_end": hand.period_end,
        "value": Decimal("7"),
        "sample_size": 4,
    }
    result = measurements_ingest(
        rows=[row], actor=None, source=Source.DERIVED, derived=True, today=date(2027, 3, 20)
    )
    hand.refresh_from_db()
    assert (hand.value, hand.source) == (Decimal("39"), "api")
    assert (result.created, result.updated) == (0, 0)

"""The finance portfolio: every figure equals the sum of the rows its drill-down lists; the
pages, exports and API answer only the roles that may read them."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from governance.choices import PilotStatus, ReviewDecision, ReviewScope, ReviewStatus
from governance.models import CopilotOrgDay, GatewayDaily, Pilot, QuarterlyReview, Spend
from governance.selectors import portfolio as ps
from governance.services.gateway_months import gateway_months_refresh
from tests.factories import ModelVersionFactory, OfferingFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

FROM, TO = date(2027, 1, 1), date(2027, 3, 31)
RANGE = f"from={FROM}&to={TO}&currency=USD"
TIERS = {"fast": Decimal("0.002"), "standard": Decimal("0.02"), "heavy": Decimal("0.30")}


def _world(finance) -> dict:
    """Three teams on two vendors' three tiers for a quarter (plus a day either side that the
    range must leave out), ledger rows, a seats file and a signed pilot budget."""
    helix, cirrus = OfferingFactory(name="Helix Code"), OfferingFactory(name="Cirrus Assist")
    versions = {
        (offering.vendor_id, tier): ModelVersionFactory(
            vendor=offering.vendor, family=f"{offering.name[:5].lower()}-{tier}", tier=tier
        )
        for offering in (helix, cirrus)
        for tier in TIERS
    }
    teams = [TeamFactory(name=n) for n in ("Payments", "Search", "Mobile")]
    rows = []
    for day in [FROM - timedelta(days=1), *(FROM + timedelta(days=d) for d in range(0, 90, 3))]:
        for i, team in enumerate(teams):
            for (_vendor, tier), version in versions.items():
                requests = 10 + 7 * i + day.day
                if tier == "heavy" and team.name == "Search":
                    requests *= 4  # Search leans on the heavy tier
                rows.append(
                    GatewayDaily(
                        day=day,
                        team=team,
                        team_key=team.name.lower(),
                        model=f"{version.family}-{version.version}",
                        model_version=version,
                        tier=tier,
                        requests=requests,
                        input_tokens=requests * 1000,
                        cached_tokens=requests * (300 + 100 * i),
                        output_tokens=requests * 200,
                        spend=TIERS[tier] * requests,
                    )
                )
    # A roll-up the gateway could not attribute, and one after the range.
    rows.append(
        GatewayDaily(
            day=FROM + timedelta(days=5),
            team_key="unknown",
            model="mystery",
            requests=5,
            input_tokens=5000,
            cached_tokens=0,
            output_tokens=100,
            spend=Decimal("1.5"),
        )
    )
    rows.append(
        GatewayDaily(
            day=TO + timedelta(days=1),
            team=teams[0],
            team_key="payments",
            model="late",
            tier="heavy",
            requests=100,
            input_tokens=1,
            cached_tokens=0,
            output_tokens=1,
            spend=Decimal("999"),
        )
    )
    GatewayDaily.objects.bulk_create(rows)
    gateway_months_refresh()
    owner = UserFactory(username="owner", role="ai_pm")
    pilot = Pilot.objects.create(
        title="Helix in payments",
        owner=owner,
        offering=helix,
        workflows=["test_generation"],
        use_case="Tests.",
        agentic=False,
        planned_start=date(2026, 10, 5),
        planned_end=date(2026, 12, 15),
        status=PilotStatus.RUNNING,
        started_on=date(2026, 10, 5),
    )
    pilot.teams.add(teams[0])
    for month in (date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)):
        Spend.objects.create(
            month=month,
            amount=Decimal("1000"),
            scope="pilot",
            pilot=pilot,
            vendor=helix.vendor,
            category="seats",
        )
        Spend.objects.create(
            month=month,
            amount=Decimal("400"),
            scope="team",
            team=teams[0],
            vendor=helix.vendor,
            category="inference_heavy",
        )
        Spend.objects.create(
            month=month,
            amount=Decimal("250"),
            scope="program",
            offering=cirrus,
            vendor=cirrus.vendor,
            category="compliance",
        )
    QuarterlyReview.objects.create(
        quarter="2026-Q4",
        scope=ReviewScope.PILOT,
        pilot=pilot,
        status=ReviewStatus.SIGNED,
        decision=ReviewDecision.EXPAND,
        budget_delta=Decimal("12000"),
        rationale="Expand to the heavy tier.",
        decided_by=finance,
        decided_at=timezone.make_aware(datetime(2026, 12, 20)),
    )
    for day, paid, active in ((date(2027, 2, 1), 100, 60), (date(2027, 3, 20), 120, 90)):
        CopilotOrgDay.objects.create(day=day, scope="acme", seats_paid=paid, seats_active=active)
    CopilotOrgDay.objects.create(
        day=date(2027, 3, 25), scope="acme-labs", seats_paid=30, seats_active=10
    )
    return {"teams": teams, "pilot": pilot, "cirrus": cirrus}


@pytest.fixture
def world(finance):
    return _world(finance)


def cents(values) -> Decimal:
    """A sum as the page shows money: to the cent."""
    return sum(values, Decimal(0)).quantize(Decimal("0.01"))


def _rows(client, **params) -> dict:
    """Every row the drill-down lists, page after page, and the total it states."""
    query = RANGE + "".join(f"&{k}={v}" for k, v in params.items())
    rows, number = [], 1
    while True:
        response = client.get(f"{reverse('portfolio-rows')}?{query}&page={number}")
        assert response.status_code == 200, response.content[:500]
        page = response.context["page"]
        rows += list(page.object_list)
        if not page.has_next():
            total = response.context["total"]
            # The total the drill-down states is the sum of the rows it lists.
            assert total["count"] == len(rows)
            return {"rows": rows, "total": total}
        number += 1


def test_it_sums_every_spend_figure_from_the_rows_its_drill_down_lists(client, finance, world):
    client.force_login(finance)
    data = client.get(f"{reverse('portfolio')}?{RANGE}").context["data"]
    checked = 0
    for dimension, spend in data["spend_by"].items():
        for series in spend["series"]:
            got = _rows(client, figure="gateway", **{dimension: series["key"]})
            assert cents(r.spend for r in got["rows"]) == series["total"]
            for cell in series["cells"]:
                if cell["value"]:
                    month = _rows(
                        client, figure="gateway", month=cell["month"], **{dimension: series["key"]}
                    )
                    assert cents(r.spend for r in month["rows"]) == cell["value"]
                    checked += 1
    assert checked > 20
    for tier in data["tiers"]:
        got = _rows(client, figure="gateway", tier=tier["tier"])
        assert cents(r.spend for r in got["rows"]) == tier["spend"]
        assert sum(r.requests for r in got["rows"]) == tier["requests"]
        input_tokens = sum(r.input_tokens for r in got["rows"])
        cached = sum(r.cached_tokens for r in got["rows"])
        assert (Decimal(cached) / input_tokens).quantize(Decimal("0.0001")) == tier[
            "cached_token_share"
        ]
        assert (tier["spend"] / tier["requests"]).quantize(Decimal("0.000001")) == tier[
            "cost_per_request"
        ]
    everything = _rows(client, figure="gateway")["rows"]
    assert (
        Decimal(sum(r.cached_tokens for r in everything)) / sum(r.input_tokens for r in everything)
    ).quantize(Decimal("0.0001")) == data["cached"]["share"]
    for spender in data["top_spenders"]:
        got = _rows(client, figure="gateway", team=spender["key"])
        assert cents(r.spend for r in got["rows"]) == spender["spend"]
    for spender in data["top_heavy_spenders"]:
        got = _rows(client, figure="gateway", team=spender["key"], tier="heavy")
        assert cents(r.spend for r in got["rows"]) == spender["spend"]
    for category in data["ledger"]:
        got = _rows(client, figure="ledger", category=category["category"])
        assert sum(r.amount for r in got["rows"]) == category["amount"]
    seats = _rows(client, figure="seats")["rows"]
    assert sum(r.seats_paid for r in seats) == data["seats"]["seats_paid"] == 150
    for budget in data["budget"]:
        got = _rows(client, figure="budget", **{budget["param"]: budget["id"]})
        assert sum(r.amount for r in got["rows"]) == budget["actual"]


def test_it_leaves_out_the_days_outside_the_range(finance, world):
    data = ps.portfolio(ps.portfolio_range(date_from=FROM, date_to=TO))
    heavy = next(t for t in data["tiers"] if t["tier"] == "heavy")
    expected = GatewayDaily.objects.filter(tier="heavy", day__gte=FROM, day__lte=TO).values_list(
        "spend", flat=True
    )
    assert heavy["spend"] == sum(expected).quantize(Decimal("0.01"))
    assert "late" not in {r.model for r in ps.gateway_rows(ps.Range(FROM, TO))}


def _money(rows) -> Decimal:
    return sum((r.spend for r in rows), Decimal(0)).quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [
        (date(2027, 1, 10), date(2027, 3, 15)),  # partial January and March, whole February
        (date(2027, 2, 5), date(2027, 2, 20)),  # inside one month: no whole month
        (date(2026, 12, 31), date(2027, 3, 31)),  # one day of December, then whole months
    ],
)
def test_a_range_with_partial_months_sums_the_daily_rows_it_lists(world, date_from, date_to):
    rng = ps.portfolio_range(date_from=date_from, date_to=date_to)
    data = ps.portfolio(rng)
    checked = 0
    for dimension, spend in data["spend_by"].items():
        for series in spend["series"]:
            assert _money(ps.gateway_rows(rng, **{dimension: series["key"]})) == series["total"]
            for cell in series["cells"]:
                rows = ps.gateway_rows(rng, month=cell["month"], **{dimension: series["key"]})
                assert _money(rows) == cell["value"]
                checked += 1
    assert checked >= 14  # every series has a cell in every month
    for tier in data["tiers"]:
        rows = list(ps.gateway_rows(rng, tier=tier["tier"]))
        assert _money(rows) == tier["spend"]
        assert sum(r.requests for r in rows) == tier["requests"]
    rows = list(ps.gateway_rows(rng))
    assert data["cached"]["input_tokens"] == sum(r.input_tokens for r in rows)
    assert data["cached"]["cached_tokens"] == sum(r.cached_tokens for r in rows)


def test_a_quarter_reads_the_monthly_roll_up_and_no_daily_row(world):
    with CaptureQueriesContext(connection) as queries:
        groups = ps.gateway_groups(ps.Range(FROM, TO))
    assert groups
    assert not [q["sql"] for q in queries if "governance_gatewaydaily" in q["sql"]]
    assert [q["sql"] for q in queries if "governance_gatewaymonthly" in q["sql"]]
    assert sum((g["spent"] for g in groups), Decimal(0)) == sum(
        ps.gateway_rows(ps.Range(FROM, TO)).values_list("spend", flat=True)
    )


def test_the_heaviest_heavy_tier_spender_comes_first(finance, world):
    data = ps.portfolio(ps.portfolio_range(date_from=FROM, date_to=TO))
    assert data["top_heavy_spenders"][0]["team"] == "Search"


def test_budget_vs_actual_counts_pilot_and_team_rows_of_the_quarter(finance, world):
    data = ps.portfolio(ps.portfolio_range(date_from=FROM, date_to=TO))
    (budget,) = data["budget"]
    assert budget["budget"] == Decimal("3000.00")  # a quarter of 12,000 signed in 2026-Q4
    # January-March: 1,000 seats + 400 of the pilot team's heavy inference, every month.
    assert budget["actual"] == Decimal("4200.00")
    assert budget["over_budget"] is True


def test_the_pilot_table_shows_state_checkpoint_and_decision(client, finance, world):
    pilot = world["pilot"]
    QuarterlyReview.objects.create(
        quarter="2027-Q1",
        scope=ReviewScope.PILOT,
        pilot=pilot,
        decision=ReviewDecision.HOLD,
        rationale="Hold.",
        decided_by=finance,
        decided_at=timezone.make_aware(datetime(2027, 3, 20)),
    )
    Pilot.objects.filter(pk=pilot.pk).update(kill_recommended=True)
    (row,) = ps.pilot_table(ps.Range(FROM, TO), [Pilot.objects.get(pk=pilot.pk)], today=FROM)
    assert row["state"] == "Running"
    assert row["next_checkpoint"] == date(2026, 10, 5) + timedelta(days=90)
    assert row["kill_recommended"] is True
    assert row["decision"] == ReviewDecision.HOLD


def _export(client, fmt: str):
    response = client.get(f"{reverse('portfolio-export', args=[fmt])}?{RANGE}")
    assert response.status_code == 200
    return response


def test_the_exports_open_and_equal_the_page(client, finance, world):
    client.force_login(finance)
    data = client.get(f"{reverse('portfolio')}?{RANGE}").context["data"]
    book = load_workbook(io.BytesIO(_export(client, "xlsx").content), read_only=True)
    sheet = list(book["portfolio"].iter_rows(values_only=True))
    text = list(csv.reader(io.StringIO(_export(client, "csv").content.decode())))
    assert sheet[0] == tuple(text[0]) == ("section", "key", "month", "value", "requests", "extra")
    tiers = {r[1]: r for r in sheet if r[0] == "tier"}
    for tier in data["tiers"]:
        assert Decimal(str(tiers[tier["label"]][3])) == tier["spend"]
        assert tiers[tier["label"]][4] == tier["requests"]
    by_team = {(r[1], r[2]): r[3] for r in sheet if r[0] == "spend by team"}
    for series in data["spend_by"]["team"]["series"]:
        for cell in series["cells"]:
            assert Decimal(str(by_team[(series["label"], cell["month"])])) == cell["value"]
    csv_tiers = {r[1]: r for r in text if r[0] == "tier"}
    assert {k: Decimal(v[3]) for k, v in csv_tiers.items()} == {
        t["label"]: t["spend"] for t in data["tiers"]
    }
    assert [r[1] for r in sheet if r[0] == "pilot"] == ["Helix in payments"]


def test_the_api_answers_the_portfolio(api_as, finance, world):
    response = api_as(finance).get(f"/api/v1/portfolio/?{RANGE}")
    assert response.status_code == 200
    body = response.json()
    assert body["from"] == "2027-01-01"
    assert body["top_heavy_spenders"][0]["team"] == "Search"
    assert body["seats"]["seats_paid"] == 150
    assert body["spend_by"]["tier"]["months"] == ["2027-01-01", "2027-02-01", "2027-03-01"]


def test_the_api_wants_a_range_in_order(api_as, finance):
    assert api_as(finance).get("/api/v1/portfolio/").status_code == 400
    bad = api_as(finance).get("/api/v1/portfolio/?from=2027-03-01&to=2027-01-01")
    assert bad.status_code == 400


@pytest.mark.parametrize("role", ["security", "legal", "ai_pm", "platform", "auditor"])
def test_only_finance_reads_the_portfolio_page(client, persona, role):
    client.force_login(persona(role))
    for url in (
        reverse("portfolio"),
        reverse("portfolio-rows") + "?figure=gateway",
        reverse("portfolio-export", args=["csv"]),
    ):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", ["security", "legal", "ai_pm", "platform", "auditor"])
def test_only_finance_reads_the_portfolio_api(api_as, persona, role):
    response = api_as(persona(role)).get(f"/api/v1/portfolio/?{RANGE}")
    assert response.status_code == 403


def test_someone_signed_out_is_sent_to_sign_in(client):
    response = client.get(reverse("portfolio"))
    assert response.status_code == 302


def test_a_bad_range_is_a_400_not_a_500(client, finance):
    client.force_login(finance)
    response = client.get(f"{reverse('portfolio')}?from=2027-03-01&to=2027-01-01")
    assert response.status_code == 400
    response = client.get(f"{reverse('portfolio-rows')}?{RANGE}&figure=nothing")
    assert response.status_code == 400


def test_the_page_reads_the_same_number_of_queries_as_data_grows(client, finance, world):
    client.force_login(finance)
    url = f"{reverse('portfolio')}?{RANGE}"
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    more = [TeamFactory(name=f"Extra {i}") for i in range(6)]
    GatewayDaily.objects.bulk_create(
        GatewayDaily(
            day=FROM + timedelta(days=d),
            team=team,
            team_key=team.name,
            model="extra",
            tier="fast",
            requests=3,
            input_tokens=30,
            cached_tokens=3,
            output_tokens=3,
            spend=Decimal("0.01"),
        )
        for team in more
        for d in range(60)
    )
    gateway_months_refresh(months=[FROM, FROM + timedelta(days=59)])
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)


def _packet(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portfolio-packet"), {"from": FROM, "to": TO, "currency": "USD"}
        )
    assert response.status_code == 302
    from governance.models import Packet

    return Packet.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_a_portfolio_packet_lists_its_source_rows_in_an_appendix(
    client, finance, world, django_capture_on_commit_callbacks
):
    from governance.services.packets import packet_html

    client.force_login(finance)
    packet = _packet(client, django_capture_on_commit_callbacks)
    assert packet.status == "ready", packet.error
    assert packet.kind == "portfolio"
    html, _ = packet_html(packet)
    sources = ps.portfolio_sources(ps.Range(FROM, TO))
    gateway_count = GatewayDaily.objects.filter(day__gte=FROM, day__lte=TO).count()
    assert sources["gateway"]["rows"] == gateway_count
    assert sources["gateway"]["first"] == "2027-01-01"
    for source in sources.values():
        assert source["sha256"] in html
    assert "Search" in packet.summary
    page = client.get(reverse("packet-page", args=[packet.pk]))
    assert b"changed on" not in page.content


def test_a_packet_flags_a_figure_whose_rows_changed(
    client, finance, world, django_capture_on_commit_callbacks
):
    client.force_login(finance)
    packet = _packet(client, django_capture_on_commit_callbacks)
    row = Spend.objects.filter(category="seats", month=date(2027, 2, 1)).get()
    row.amount = Decimal("1500")
    row.save()
    page = client.get(reverse("packet-page", args=[packet.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "The data behind ledger spend by category; budget vs actual" in text
    changed = page.context["source_changes"]
    assert [c["source"] for c in changed] == ["ledger"]
    assert changed[0]["changed_on"] == Spend.objects.get(pk=row.pk).recorded_at


def test_only_finance_asks_for_a_portfolio_packet(client, persona):
    for role in ("security", "legal", "ai_pm", "platform", "auditor"):
        client.force_login(persona(role))
        response = client.post(reverse("portfolio-packet"), {"from": FROM, "to": TO})
        assert response.status_code == 403, role


def test_the_outcomes_page_shows_effects_and_roi_of_a_page_of_pilots(client, finance, world):
    client.force_login(finance)
    response = client.get(f"{reverse('portfolio-outcomes')}?{RANGE}&pilot={world['pilot'].pk}")
    assert response.status_code == 200
    (outcome,) = response.context["outcomes"]
    assert outcome["pilot"] == world["pilot"]
    # No rate card and no measurements: the audited ROI says it cannot be computed, and why.
    assert outcome["net_roi_audited"] is None
    assert outcome["problems"]
    assert b"Net ROI audited" in response.content


@pytest.mark.parametrize("role", ["security", "legal", "ai_pm", "platform", "auditor"])
def test_only_finance_reads_the_outcomes(client, persona, role):
    client.force_login(persona(role))
    assert client.get(reverse("portfolio-outcomes")).status_code == 403


def test_the_demo_fills_every_chart_and_table_of_the_portfolio(client, tmp_path):
    from django.core.management import call_command

    call_command("seed_demo", password="demo-pass-1", no_packets=True, evidence_dir=str(tmp_path))
    client.force_login(get_user_model().objects.get(username="finance"))
    today = timezone.localdate()
    response = client.get(
        f"{reverse('portfolio')}?from={today - timedelta(days=120)}&to={today}&currency=USD"
    )
    assert response.status_code == 200
    data = response.context["data"]
    assert {t["tier"] for t in data["tiers"]} >= {"fast", "standard", "heavy"}
    assert all(len(data["spend_by"][d]["series"]) >= 2 for d in ("team", "tier", "model_version"))
    assert data["top_heavy_spenders"] and data["ledger"]
    assert data["seats"]["seats_paid"]
    assert len(response.context["charts"]) == 3

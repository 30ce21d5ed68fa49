"""The finance portfolio: every figure equals the sum of the rows its drill-down lists; the
pages, exports and API answer only the roles that may read them."""

import csv
import io
import re
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
from governance.templatetags.money import money, number, percent, unit_money
from tests.factories import ModelVersionFactory, OfferingFactory, TeamFactory, UserFactory
from tests.page_text import PageText

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


def amount(text: str) -> Decimal:
    """A figure as the page shows it ('$1,234.50', '30.0%', '1,240') read back as a number."""
    return Decimal(re.sub(r"[^\d.\-]", "", text))


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


def ratio(part, whole, unit: str = "0.0001") -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal(unit))


def test_it_sums_every_spend_figure_from_the_rows_its_drill_down_lists(client, finance, world):
    client.force_login(finance)
    response = client.get(f"{reverse('portfolio')}?{RANGE}")
    data, page = response.context["data"], PageText(response.content.decode())
    checked = 0
    for dimension, spend in data["spend_by"].items():
        # The portfolio shows each series' spend for the range; its own page, month by month.
        table = page.body(f"spend-{dimension}")
        own = client.get(f"{reverse('portfolio-spend', args=[dimension])}?{RANGE}")
        monthly = PageText(own.content.decode()).body(f"spend-{dimension}")
        # The page reads totals only (its charts are requests of their own); its own page,
        # the months, in the same order.
        months = own.context["table"]["series"]
        assert [(s["key"], s["total"]) for s in months] == [
            (s["key"], s["total"]) for s in spend["series"]
        ]
        assert len(table) == len(monthly) == len(spend["series"])
        for series, shown, by_month, whole in zip(
            spend["series"], table, monthly, months, strict=True
        ):
            assert shown[0].startswith(series["label"]) and by_month[0].startswith(series["label"])
            got = _rows(client, figure="gateway", **{dimension: series["key"]})
            total = cents(r.spend for r in got["rows"])
            assert total == series["total"]
            # The page shows the rows' sum as money, and it reads back as that sum.
            assert shown[1:] == [money(total, "USD")] and amount(shown[-1]) == total
            assert by_month[-1] == money(total, "USD")
            for cell, text in zip(whole["cells"], by_month[1:-1], strict=True):
                month = _rows(
                    client, figure="gateway", month=cell["month"], **{dimension: series["key"]}
                )
                value = cents(r.spend for r in month["rows"])
                assert value == cell["value"]
                assert text == money(value, "USD") and amount(text) == value
                checked += 1
    assert checked > 20
    everything = _rows(client, figure="gateway")["rows"]
    all_spend = sum(r.spend for r in everything)
    tiers = {row[0]: row for row in page.body("tiers")}
    assert len(tiers) == len(data["tiers"])
    for tier in data["tiers"]:
        got = _rows(client, figure="gateway", tier=tier["tier"])
        spend = cents(r.spend for r in got["rows"])
        requests = sum(r.requests for r in got["rows"])
        input_tokens = sum(r.input_tokens for r in got["rows"])
        cached = sum(r.cached_tokens for r in got["rows"])
        assert spend == tier["spend"]
        assert requests == tier["requests"]
        assert ratio(cached, input_tokens) == tier["cached_token_share"]
        assert ratio(tier["spend"], requests, "0.000001") == tier["cost_per_request"]
        share = ratio(sum(r.spend for r in got["rows"]), all_spend)
        assert share == tier["share_of_spend"]
        _, spend_text, share_text, requests_text, cost_text, cached_text = tiers[tier["label"]]
        assert spend_text == money(spend, "USD") and amount(spend_text) == spend
        assert share_text == percent(share) and amount(share_text) == round(share * 100, 1)
        assert requests_text == number(requests, 0) and amount(requests_text) == requests
        assert cost_text == unit_money(ratio(spend, requests, "0.000001"), "USD")
        assert amount(cost_text) > 0
        assert cached_text == percent(ratio(cached, input_tokens))
    cached = sum(r.cached_tokens for r in everything)
    input_tokens = sum(r.input_tokens for r in everything)
    assert ratio(cached, input_tokens) == data["cached"]["share"]
    assert (
        f"Cached-token share over all input: {percent(ratio(cached, input_tokens))} "
        f"({number(cached, 0)} of {number(input_tokens, 0)} input tokens)"
    ) in " ".join(page.text["tiers"].split())
    for part, spenders, tier in (
        ("top-spenders", data["top_spenders"], {}),
        ("top-heavy", data["top_heavy_spenders"], {"tier": "heavy"}),
    ):
        table = page.body(part)
        assert [row[0] for row in table] == [s["team"] for s in spenders]
        for spender, (_, spend_text, requests_text) in zip(spenders, table, strict=True):
            got = _rows(client, figure="gateway", team=spender["key"], **tier)
            spend = cents(r.spend for r in got["rows"])
            requests = sum(r.requests for r in got["rows"])
            assert spend == spender["spend"] and spend_text == money(spend, "USD")
            assert requests_text == number(requests, 0) and amount(requests_text) == requests
    ledger = page.body("ledger")
    assert len(ledger) == len(data["ledger"])
    for category, (_, amount_text, rows_text) in zip(data["ledger"], ledger, strict=True):
        got = _rows(client, figure="ledger", category=category["category"])
        total = sum(r.amount for r in got["rows"])
        assert total == category["amount"]
        assert amount_text == money(total, "USD") and amount(amount_text) == total
        assert rows_text == number(len(got["rows"]), 0)
    seats = _rows(client, figure="seats")["rows"]
    assert sum(r.seats_paid for r in seats) == data["seats"]["seats_paid"] == 150
    seats_text = " ".join(page.text["seats"].split())
    assert f"Paid {number(150, 0)}, active {number(sum(r.seats_active for r in seats), 0)}" in (
        seats_text
    )
    budgets = page.body("budget")
    assert len(budgets) == len(data["budget"])
    for budget, shown in zip(data["budget"], budgets, strict=True):
        got = _rows(client, figure="budget", **{budget["param"]: budget["id"]})
        actual = sum(r.amount for r in got["rows"])
        assert actual == budget["actual"]
        assert shown[3] == money(actual, "USD") and amount(shown[3]) == actual
        assert amount(shown[4]) == budget["budget"] - actual


def _more_teams(n: int) -> list:
    """n more teams, each with a little fast-tier spend in the range's first two months."""
    more = [TeamFactory(name=f"Extra {i}") for i in range(n)]
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
            spend=Decimal("0.01") * (i + 1),
        )
        for i, team in enumerate(more)
        for d in range(60)
    )
    gateway_months_refresh(months=[FROM + timedelta(days=d) for d in (0, 31, 59)])
    return more


def test_a_table_of_many_series_shows_the_largest_and_the_rest_as_other(client, finance, world):
    """As its chart does: seven teams apart, the rest summed as "Other (n)", which links to
    the table of every team, whose figures each sum the rows they link to."""
    _more_teams(6)  # 3 teams, the unattributed row and 6 more: 10 series
    client.force_login(finance)
    response = client.get(f"{reverse('portfolio')}?{RANGE}")
    page = PageText(response.content.decode())
    shown = page.body("spend-team")
    assert len(shown) == 8 and shown[-1][0].startswith("Other (3)")
    whole = client.get(f"{reverse('portfolio-spend', args=['team'])}?{RANGE}")
    assert whole.status_code == 200
    series = whole.context["table"]["series"]
    assert len(series) == 10 and whole.context["table"]["other"] is None
    # The page's seven are the whole table's first seven; Other sums the last three.
    assert [row[0] for row in shown[:7]] == [s["label"] for s in series[:7]]
    hidden = series[7:]
    assert [amount(text) for text in shown[-1][1:]] == [sum(s["total"] for s in hidden)]
    whole_text = PageText(whole.content.decode()).body("spend-team")
    for s, row in zip(hidden, whole_text[7:], strict=True):
        got = _rows(client, figure="gateway", team=s["key"])
        assert cents(r.spend for r in got["rows"]) == s["total"] == amount(row[-1])
    assert f'href="{reverse("portfolio-spend", args=["team"])}?' in response.content.decode()


def test_an_unknown_spend_table_is_a_404(client, finance):
    client.force_login(finance)
    assert client.get(reverse("portfolio-spend", args=["colour"])).status_code == 404


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


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [(date(2027, 1, 10), date(2027, 3, 15)), (date(2027, 2, 5), date(2027, 2, 20)), (FROM, TO)],
)
def test_the_pages_totals_without_months_equal_the_months_summed(world, date_from, date_to):
    # The page reads each key's total over the range (its charts read the months): a key
    # found in both the monthly and the daily roll-ups must still be one series.
    rng = ps.portfolio_range(date_from=date_from, date_to=date_to)
    by_month, totals = ps.portfolio(rng), ps.portfolio(rng, monthly=False)
    for dimension, spend in by_month["spend_by"].items():
        assert [(s["key"], s["label"], s["total"], s["requests"]) for s in spend["series"]] == [
            (s["key"], s["label"], s["total"], s["requests"])
            for s in totals["spend_by"][dimension]["series"]
        ]
    for figure in ("tiers", "cached", "top_spenders", "top_heavy_spenders"):
        assert totals[figure] == by_month[figure]


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
    # The budget was signed in 2026-Q4: that quarter itself has none in force.
    before = ps.portfolio_range(date_from=None, date_to=None, quarter="2026-Q4")
    assert ps.budget_vs_actual(before) == []


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


def test_the_pilot_filters_list_every_vendor_and_team_and_keep_the_choice(client, finance, world):
    pilot = world["pilot"]
    team = pilot.teams.get()
    TeamFactory(name="R&D <north>")
    client.force_login(finance)
    response = client.get(f"{reverse('portfolio')}?{RANGE}&team={team.pk}")
    page = response.content.decode()
    teams = page[page.index('<select name="team">') :]
    teams = teams[: teams.index("</select>")]
    assert f'<option value="{team.pk}" selected>{team.name}</option>' in teams
    assert "R&amp;D &lt;north&gt;" in teams and "<north>" not in teams
    assert teams.count(" selected") == 1 and teams.startswith(
        '<select name="team"><option value="">all</option>'
    )
    vendors = page[page.index('<select name="vendor">') :]
    vendors = vendors[: vendors.index("</select>")]
    assert " selected" not in vendors
    assert (
        f'<option value="{pilot.offering.vendor_id}">{pilot.offering.vendor.name}</option>'
        in vendors
    )
    assert [p["pilot"].pk for p in response.context["pilots"]] == [pilot.pk]


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
        reverse("portfolio-spend", args=["team"]),
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
    _more_teams(6)
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
    # One stacked chart per dimension, each beside its table, with a legend and its bars.
    charts = response.context["charts"]
    assert set(charts) == set(ps.DIMENSIONS)
    for dimension, url in charts.items():
        assert f'<img src="{url.replace("&", "&amp;")}"' in response.content.decode()
        image = client.get(url)
        assert image["Content-Type"].startswith("image/svg+xml"), dimension
        assert image["Cache-Control"] == "private, no-cache"
        chart = image.content.decode()
        assert '<g id="legend_1">' in chart and '<g id="stack' in chart, dimension


def test_a_portfolio_chart_is_finances_and_answers_400_to_a_bad_range(client, persona, finance):
    url = reverse("portfolio-chart", args=["team"])
    client.force_login(finance)
    assert client.get(f"{url}?from=2027-03-01&to=2027-01-01").status_code == 400
    assert client.get(reverse("portfolio-chart", args=["colour"])).status_code == 404
    for role in ("security", "legal", "ai_pm", "platform"):
        client.force_login(persona(role))
        assert client.get(url).status_code == 403, role


def test_roll_ups_nobody_could_attribute_are_named_for_what_they_are(finance, world):
    data = ps.portfolio(ps.portfolio_range(date_from=FROM, date_to=TO))

    def unattributed(dimension: str) -> dict:
        (series,) = [s for s in data["spend_by"][dimension]["series"] if s["key"] == "none"]
        return series

    # The roll-up of "mystery" (no team, no tier, its model name mapped to no version).
    assert unattributed("model_version")["label"] == "Unmapped models"
    assert unattributed("vendor")["label"] == "Unmapped models"
    assert unattributed("team")["label"] == "No team"
    assert unattributed("tier")["label"] == "No tier"
    assert {s["team"] for s in data["top_spenders"]} >= {"No team"}
    assert [t["label"] for t in data["tiers"]] == ["Fast", "Standard", "Heavy", "No tier"]
    assert unattributed("model_version")["total"] == Decimal("1.50")


def test_finance_is_shown_where_an_unmapped_model_name_is_mapped(client, finance, world):
    client.force_login(finance)
    page = client.get(f"{reverse('portfolio')}?{RANGE}").content.decode()
    section = page[page.index('id="spend-model_version"') :]
    row = section[section.index("<td>Unmapped models") :]
    row = row[: row.index("</tr>")]
    # Finance reads the aliases; platform adds them (finance may not).
    assert f'href="{reverse("admin:governance_modelalias_changelist")}"' in row
    assert "platform maps a model name to its version there" in row
    assert reverse("admin:governance_modelalias_add") not in row
    assert client.get(reverse("admin:governance_modelalias_changelist")).status_code == 200


def _total(response) -> str:
    """The drill-down's sentence of what its rows add up to, as a person reads it."""
    html = re.search(r'<p id="total">(.*?)</p>', response.content.decode(), re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def test_the_rows_page_shows_its_total_as_money_and_its_filters_in_words(client, finance, world):
    client.force_login(finance)
    response = client.get(
        f"{reverse('portfolio-rows')}?{RANGE}&figure=gateway&model_version=none&tier=none"
    )
    assert response.status_code == 200
    page = PageText(response.content.decode())
    text = " ".join(response.content.decode().split())
    assert "Figure: <strong>Gateway spend</strong>" in text
    assert "model version: Unmapped models" in text and "tier: No tier" in text
    (row,) = page.body("rows")
    assert row[2] == "mystery" and row[3] == "unmapped" and row[9] == money("1.5", "USD")
    assert _total(response) == "1 row(s) adding up to $1.50 spend, 5 requests."
    team = world["teams"][0]
    response = client.get(f"{reverse('portfolio-rows')}?{RANGE}&figure=gateway&team={team.pk}")
    total = response.context["total"]
    assert _total(response) == (
        f"{number(total['count'], 0)} row(s) adding up to {money(total['spend'], 'USD')} spend, "
        f"{number(total['requests'], 0)} requests."
    )
    every = _rows(client, figure="gateway", team=team.pk)["rows"]
    assert amount(money(total["spend"], "USD")) == cents(r.spend for r in every)


def test_the_outcomes_page_shows_net_roi_as_a_percentage(finance, world):
    from django.template.loader import render_to_string

    (outcome,) = ps.pilot_outcomes([world["pilot"]], as_of=TO)
    # net_roi is stored as a fraction (1.1 is 110%); the page says so in percent.
    outcome |= {"net_roi_audited": Decimal("1.1000"), "net_roi_best": Decimal("2.5")}
    html = render_to_string(
        "governance/portfolio/outcomes.html",
        {"rng": ps.Range(FROM, TO), "q": RANGE, "outcomes": [outcome], "page": None},
    )
    text = " ".join(html.split())
    assert "Net ROI audited: <strong>110.0%</strong>; best case: 250.0%" in text
    outcome |= {"net_roi_audited": None, "net_roi_best": None}
    html = render_to_string(
        "governance/portfolio/outcomes.html",
        {"rng": ps.Range(FROM, TO), "q": RANGE, "outcomes": [outcome], "page": None},
    )
    assert "Net ROI audited: <strong>not computable</strong>" in " ".join(html.split())

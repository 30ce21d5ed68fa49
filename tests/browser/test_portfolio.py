"""In real Chromium: finance answers "which team spends most on the heavy tier, and did its
throughput rise?" by clicks alone, from the finance page to the rows behind the figure; the
page shows money as money and spend over time as stacked charts with legends."""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from governance.models import GatewayDaily, Metric, TeamMetricValue
from governance.selectors.finance import quarter_bounds, quarter_of
from governance.services.gateway_months import gateway_months_refresh
from governance.templatetags.money import money
from tests.browser.conftest import ARTIFACTS, BROWSER_TEST
from tests.factories import PASSWORD, TeamFactory

pytestmark = BROWSER_TEST
TIER_PRICE = {"fast": Decimal("0.002"), "standard": Decimal("0.02"), "heavy": Decimal("0.30")}


def _quarter_of_gateway_rows():
    """This quarter so far: three teams on three tiers, Search heaviest on the heavy tier, and
    Search's weekly throughput rising from the first weeks to the last."""
    today = timezone.localdate()
    start, _ = quarter_bounds(quarter_of(today))
    teams = {name: TeamFactory(name=name) for name in ("Payments", "Search", "Mobile")}
    rows = []
    day = start
    while day <= today:
        for i, (name, team) in enumerate(teams.items()):
            for tier, price in TIER_PRICE.items():
                requests = 40 + 10 * i
                if name == "Search" and tier == "heavy":
                    requests *= 5
                rows.append(
                    GatewayDaily(
                        day=day,
                        team=team,
                        team_key=name.lower(),
                        model=f"helix-{tier}",
                        tier=tier,
                        requests=requests,
                        input_tokens=requests * 1000,
                        cached_tokens=requests * 300,
                        output_tokens=requests * 200,
                        spend=price * requests,
                    )
                )
        day += timedelta(days=1)
    GatewayDaily.objects.bulk_create(rows)
    gateway_months_refresh()
    throughput = Metric.objects.get(code="feature-throughput")
    week = start - timedelta(days=start.weekday())
    n = 0
    while week + timedelta(days=6) <= today:
        TeamMetricValue.objects.create(
            team=teams["Search"],
            metric=throughput,
            tier="",
            period_start=week,
            period_end=week + timedelta(days=6),
            value=Decimal("4.0") + Decimal("0.25") * n,
            sample_size=20 + n,
            source="github",
        )
        week += timedelta(days=7)
        n += 1
    return teams


def test_finance_finds_the_top_heavy_tier_spender_and_its_throughput(live_server, page, finance):
    _quarter_of_gateway_rows()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/accounts/login/?next=/finance/")
    page.fill("#id_username", "finance")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/finance/")

    page.click("#portfolio-link")
    page.wait_for_url("**/finance/portfolio/")
    heavy = page.locator("#top-heavy tbody tr").first
    assert heavy.locator("td").first.inner_text() == "Search"
    page.screenshot(path=str(ARTIFACTS / "portfolio.png"), full_page=True)

    # Money as money: the heavy tier's spend with its currency, thousands and cents.
    heavy_spend = sum(GatewayDaily.objects.filter(tier="heavy").values_list("spend", flat=True))
    tier_row = page.locator("#tiers tbody tr", has_text="Heavy")
    assert tier_row.locator("td").nth(1).inner_text() == money(heavy_spend, "USD")
    assert re.fullmatch(r"\$\d{1,3}(,\d{3})*\.\d\d", tier_row.locator("td").nth(1).inner_text())
    assert re.fullmatch(r"\d+\.\d%", tier_row.locator("td").nth(2).inner_text())
    assert re.fullmatch(r"\$0\.\d*[1-9]\d*", tier_row.locator("td").nth(4).inner_text())
    # One stacked chart per dimension, each an image the browser draws, with a legend.
    charts = page.locator("section[id^=spend-] figure.chart img")
    assert charts.count() == 4
    team_chart = page.locator("#spend-team figure.chart img")
    team_chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('#spend-team figure.chart img'); "
        "return i.complete && i.naturalWidth > 0; }"
    )
    assert team_chart.get_attribute("alt").startswith("Chart: spend by team per month, stacked")
    svg = page.request.get(team_chart.evaluate("i => i.src")).text()
    legend = svg[svg.index('<g id="legend_1">') :]
    assert all(name in legend for name in ("Payments", "Search", "Mobile"))
    assert svg.count('<g id="stack') >= 3
    page.locator("#spend-team").screenshot(path=str(ARTIFACTS / "portfolio-spend-by-team.png"))
    # Beside the chart each team's spend; month by month a click away, back again by a click.
    page.locator("#spend-team a.monthly").click()
    page.wait_for_url("**/finance/portfolio/spend/team/**")
    months = page.locator("#spend-team thead th")
    assert months.count() == 2 + len(
        {d.replace(day=1) for d in GatewayDaily.objects.dates("day", "month")}
    )
    search = page.locator("#spend-team tbody tr", has_text="Search")
    search_spend = sum(
        GatewayDaily.objects.filter(team__name="Search").values_list("spend", flat=True)
    )
    assert search.locator("td").last.inner_text() == money(search_spend, "USD")
    page.wait_for_function(
        "() => { const i = document.querySelector('#spend-team figure.chart img'); "
        "return i.complete && i.naturalWidth > 0; }"
    )
    page.screenshot(path=str(ARTIFACTS / "portfolio-spend-team-monthly.png"), full_page=True)
    page.get_by_role("link", name="Back to the portfolio").click()
    page.wait_for_url("**/finance/portfolio/?**")
    # The roll-ups name no model version: they are named for what they are, with a way to map.
    unmapped = page.locator("#spend-model_version tbody tr").first
    assert unmapped.locator("td").first.inner_text().startswith("Unmapped models")
    assert "/admin/governance/modelalias/" in unmapped.locator("a.map-model").get_attribute("href")

    heavy.locator("a").click()
    page.wait_for_url("**/finance/portfolio/rows/**")
    total = page.locator("#total").inner_text()
    throughput = page.locator("#throughput").inner_text()
    page.screenshot(path=str(ARTIFACTS / "portfolio-heavy-search.png"), full_page=True)
    assert "Search: throughput over the range" in throughput
    assert "throughput rose" in throughput
    spend = sum(
        GatewayDaily.objects.filter(team__name="Search", tier="heavy").values_list(
            "spend", flat=True
        )
    )
    assert money(spend, "USD") in total

"""Finance's portfolio, the adoption funnel, the rows behind every figure, and their exports."""

import re
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from governance.charts import metric_chart_svg, spend_charts, split_largest, svg_response
from governance.models import Team, TeamMetricValue
from governance.models.finance import QUARTER_PATTERN
from governance.selectors import funnel as funnel_selectors
from governance.selectors import portfolio as ps
from governance.selectors.finance import quarter_of
from governance.services.portfolio import portfolio_packet_request
from governance.templatetags.money import NONE, number
from vendors.choices import Currency
from vendors.kit.exports import table_export
from vendors.kit.services import parse_day, parse_id
from vendors.models import ModelVersion, Vendor
from vendors.selectors.registry import model_update_times

PORTFOLIO_PERM = "governance.view_portfolio_pilot"
FUNNEL_PERM = "governance.view_funnel_pilot"
PILOTS_PER_PAGE = 10
STOPPED_PER_PAGE = 25
ROWS_PER_PAGE = 100
THROUGHPUT = "feature-throughput"


def range_from_request(request: HttpRequest) -> ps.Range:
    """?quarter=YYYY-Qn or ?from=&to=; the current quarter when neither is given."""
    quarter = request.GET.get("quarter", "")
    date_from, date_to = parse_day(request.GET.get("from")), parse_day(request.GET.get("to"))
    currency = request.GET.get("currency", Currency.USD)
    if currency not in Currency.values:
        currency = Currency.USD
    if not re.fullmatch(QUARTER_PATTERN, quarter):
        quarter = "" if (date_from and date_to) else quarter_of(timezone.localdate())
    return ps.portfolio_range(
        date_from=date_from, date_to=date_to, quarter=quarter, currency=currency
    )


def _query(rng: ps.Range, **extra) -> str:
    """The range as a query string, for links that keep it."""
    parts = [f"from={rng.date_from}", f"to={rng.date_to}", f"currency={rng.currency}"]
    parts += [f"{k}={v}" for k, v in extra.items() if v not in (None, "")]
    return "&".join(parts)


def _chart(title: str, unit: str, points, rng: ps.Range) -> str:
    # The charts module draws in pure SVG with every label escaped, so its output is safe.
    return mark_safe(  # noqa: S308
        metric_chart_svg(
            title=title,
            unit=unit,
            points=points,
            start=rng.date_from,
            end=rng.date_to,
            grace_days=0,
            lines=[],
            height=180,
        )
    )


def _invalid(request: HttpRequest, error: ValidationError, template: str) -> HttpResponse:
    return render(request, template, {"errors": error.messages, "invalid": True}, status=400)


@permission_required(PORTFOLIO_PERM, raise_exception=True)
def portfolio_page(request: HttpRequest) -> HttpResponse:
    """Spend by team, vendor, model version and tier over time; seats; budgets; and one row per
    pilot, each linking to its outcomes. Every figure links to the rows it sums."""
    try:
        rng = range_from_request(request)
    except ValidationError as error:
        return _invalid(request, error, "governance/portfolio/portfolio.html")
    # Totals only: each chart beside its table is a request of its own, by month.
    data = ps.portfolio(rng, monthly=False)
    tables = {d: _spend_table(rng, d, spend) for d, spend in data["spend_by"].items()}
    vendor, team = parse_id(request.GET.get("vendor")), parse_id(request.GET.get("team"))
    pilots = ps.pilot_rows(rng, vendor=vendor, team=team).only(*ps.PILOT_TABLE_FIELDS)
    page = Paginator(pilots, PILOTS_PER_PAGE).get_page(request.GET.get("page"))
    pilots = list(page.object_list)
    today = min(timezone.localdate(), rng.date_to)
    # Linked, not drawn: each chart is its own image request (portfolio_chart), so the page's
    # figures answer before the ~0.1 s each chart takes to draw; each is drawn afresh.
    chart_query = _query(rng)
    charts = {
        dimension: f"{reverse('portfolio-chart', args=[dimension])}?{chart_query}"
        for dimension in ps.DIMENSIONS
    }
    vendors = _vendors()
    return render(
        request,
        "governance/portfolio/portfolio.html",
        {
            "rng": rng,
            "q": _query(rng),
            # Hundreds of cells link to the rows behind them: the URL is built once.
            "rows": f"{reverse('portfolio-rows')}?{_query(rng)}",
            "data": data,
            "charts": charts,
            # Each dimension's table beside its stacked chart, split as the chart is.
            "dimensions": [(d, d.replace("_", " "), tables[d], charts[d]) for d in ps.DIMENSIONS],
            "page": page,
            "pilots": _linked(ps.pilot_table(rng, pilots, today=today), rng),
            "vendors": vendors,
            "model_updates": _model_updates(vendors),
            "teams": Team.objects.order_by("name").values("pk", "name"),
            "vendor": vendor,
            "team": team,
            "quarter": rng.quarter,
        },
    )


def _linked(rows: list[dict], rng: ps.Range) -> list[dict]:
    """The pilot table's links, built once per row rather than by template tags."""
    outcomes = f"{reverse('portfolio-outcomes')}?{_query(rng)}"
    for row in rows:
        pk = row["pilot"].pk
        row["href"] = reverse("pilot-page", args=[pk])
        row["outcomes"] = f"{outcomes}&pilot={pk}"
        row["review_href"] = reverse("review-page", args=[row["review"]]) if row["review"] else ""
    return rows


def _spend_table(rng: ps.Range, dimension: str, spend: dict, *, whole: bool = False) -> dict:
    """A dimension's spend table. On the portfolio (not `whole`): each series' total for the
    range, the largest apart and the rest as "Other (n)", as the chart beside it draws them.
    On the dimension's own page (`whole`): every series month by month. Each figure links to
    its rows; Other, and the table's heading, to the dimension's own page."""
    rows = f"{reverse('portfolio-rows')}?{_query(rng)}&figure=gateway"
    kept, rest = (spend["series"], []) if whole else split_largest(spend["series"])
    # The links are built here, once each, rather than by template tags (rendering them
    # was half the page's time).
    # A model name no alias maps: who may map it is shown where to.
    unmapped = dimension in ("model_version", "vendor")
    for series in kept:
        base = f"{rows}&{dimension}={series['key']}"
        series["href"] = base
        series["unmapped"] = unmapped and series["key"] == "none"
        for cell in series["cells"] if whole else ():
            cell["href"] = f"{base}&month={cell['month']}"
    monthly = f"{reverse('portfolio-spend', args=[dimension])}?{_query(rng)}"
    other = ps.spend_other(rest) if rest else None
    if other:
        other["href"] = monthly
    return {
        "months": spend["months"] if whole else [],
        "series": kept,
        "other": other,
        "monthly": whole,
        "href": monthly,
    }


@permission_required(PORTFOLIO_PERM, raise_exception=True)
def portfolio_spend_page(request: HttpRequest, dimension: str) -> HttpResponse:
    """Every series of one spend dimension for the range (the portfolio shows the largest and
    sums the rest as "Other"), each figure linking to the rows it sums."""
    if dimension not in ps.DIMENSIONS:
        raise Http404("No such table.")
    try:
        rng = range_from_request(request)
    except ValidationError as error:
        return _invalid(request, error, "governance/portfolio/spend.html")
    spend = ps.spend_over_time(rng, dimension=dimension)
    return render(
        request,
        "governance/portfolio/spend.html",
        {
            "rng": rng,
            "q": _query(rng),
            "dimension": dimension,
            "label": dimension.replace("_", " "),
            "table": _spend_table(rng, dimension, spend, whole=True),
            "chart": f"{reverse('portfolio-chart', args=[dimension])}?{_query(rng)}",
        },
    )


@permission_required(PORTFOLIO_PERM, raise_exception=True)
def portfolio_chart(request: HttpRequest, dimension: str) -> HttpResponse:
    """One stacked spend chart of the portfolio (by team, vendor, model version or tier), drawn
    afresh as an SVG image from the same figures as the page's table beside it."""
    if dimension not in ps.DIMENSIONS:
        raise Http404("No such chart.")
    try:
        rng = range_from_request(request)
    except ValidationError as error:
        return HttpResponse("; ".join(error.messages), status=400, content_type="text/plain")
    svg = spend_charts(
        {dimension: ps.spend_over_time(rng, dimension=dimension)}, currency=rng.currency
    )[dimension]
    return svg_response(svg)


@permission_required(PORTFOLIO_PERM, raise_exception=True)
def portfolio_outcomes_page(request: HttpRequest) -> HttpResponse:
    """Outcomes of a page of pilots: each core metric's effect with its interval, and net ROI
    audited beside the best case. Its own page: the effects and the ROI are per pilot by
    nature (their windows, teams and measurements), so they cost a tenth of a second or more
    each and would make the portfolio's spend figures wait."""
    try:
        rng = range_from_request(request)
    except ValidationError as error:
        return _invalid(request, error, "governance/portfolio/outcomes.html")
    vendor, team = parse_id(request.GET.get("vendor")), parse_id(request.GET.get("team"))
    pilot = parse_id(request.GET.get("pilot"))
    pilots = ps.pilot_rows(rng, vendor=vendor, team=team)
    if pilot:
        pilots = pilots.filter(pk=pilot)
    page = Paginator(pilots, PILOTS_PER_PAGE).get_page(request.GET.get("page"))
    today = min(timezone.localdate(), rng.date_to)
    return render(
        request,
        "governance/portfolio/outcomes.html",
        {
            "rng": rng,
            "q": _query(rng, vendor=vendor, team=team),
            "page": page,
            "outcomes": ps.pilot_outcomes(
                list(page.object_list), as_of=today, currency=rng.currency
            ),
        },
    )


def _throughput(team_id: int, rng: ps.Range) -> dict:
    """A team's weekly throughput over the range, and its first and last four weeks' means."""
    values = list(
        TeamMetricValue.objects.filter(
            team_id=team_id,
            metric__code=THROUGHPUT,
            tier__in=("", "all"),
            period_end__gte=rng.date_from,
            period_start__lte=rng.date_to,
        ).order_by("period_start")
    )
    first, last = values[:4], values[-4:]

    def mean(rows):
        return (sum(r.value for r in rows) / len(rows)).quantize(Decimal("0.01")) if rows else None

    before, after = mean(first), mean(last)
    return {
        "rows": values,
        "chart": _chart(
            "Feature throughput",
            "PRs per engineer-month",
            [(r.period_start, r.value) for r in values],
            rng,
        ),
        "first": before,
        "last": after,
        "rose": None if before is None or after is None or len(values) < 8 else after > before,
    }


@permission_required(PORTFOLIO_PERM, raise_exception=True)
def portfolio_rows_page(request: HttpRequest) -> HttpResponse:
    """The rows behind one figure of the portfolio, and what they add up to."""
    try:
        rng = range_from_request(request)
        figure = request.GET.get("figure", "")
        rows = ps.figure_rows(rng, figure, request.GET)
    except (ValidationError, ValueError) as error:
        messages = error.messages if isinstance(error, ValidationError) else [str(error)]
        return render(
            request,
            "governance/portfolio/rows.html",
            {"errors": messages, "invalid": True},
            status=400,
        )
    total = ps.rows_total(figure, rows)
    page = Paginator(rows.order_by(*_ORDER[figure]), ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    team_id = parse_id(request.GET.get("team"))
    team = Team.objects.filter(pk=team_id).first() if figure == "gateway" and team_id else None
    filters = {
        k: request.GET.get(k)
        for k in (*ps.DIMENSION_FILTER, "month", "category", "scope", "pilot", "offering")
        if request.GET.get(k)
    }
    # As a person reads them: the team's, vendor's or model version's name, not its id.
    named = {**filters, **({"team": team.name} if team else {})}
    for dimension in ps.DIMENSION_FILTER:
        if filters.get(dimension) == "none":
            named[dimension] = ps.UNKNOWN[dimension]
    if parse_id(filters.get("vendor")):
        named["vendor"] = str(Vendor.objects.filter(pk=filters["vendor"]).first() or "—")
    if parse_id(filters.get("model_version")):
        version = ModelVersion.objects.filter(pk=filters["model_version"]).first()
        named["model_version"] = str(version or "—")
    return render(
        request,
        "governance/portfolio/rows.html",
        {
            "rng": rng,
            "q": _query(rng, figure=figure, **filters),
            "back": _query(rng),
            "figure": figure,
            "figure_name": FIGURE_NAMES[figure],
            "filters": {k.replace("_", " "): v for k, v in named.items()},
            "total": total,
            "page": page,
            "team": team,
            "throughput": _throughput(team.pk, rng) if team else None,
        },
    )


FIGURE_NAMES = {
    "gateway": "gateway spend",
    "ledger": "ledger spend",
    "seats": "Copilot seats",
    "budget": "budget actual",
}
_ORDER = {
    "gateway": ("day", "team_key", "model", "id"),
    "ledger": ("month", "scope", "category", "id"),
    "seats": ("scope", "day"),
    "budget": ("month", "scope", "category", "id"),
}


def portfolio_export_rows(rng: ps.Range, data: dict, table: list[dict]) -> list[list]:
    """The portfolio's tables as one sheet of rows: section, key, then its numbers."""
    rows: list[list] = [["section", "key", "month", "value", "requests", "extra"]]
    for dimension, spend in data["spend_by"].items():
        for series in spend["series"]:
            for month, value in zip(spend["months"], series["values"], strict=True):
                rows.append(
                    [f"spend by {dimension}", series["label"], f"{month:%Y-%m}", value, "", ""]
                )
    for t in data["tiers"]:
        rows.append(
            [
                "tier",
                t["label"],
                "",
                t["spend"],
                t["requests"],
                f"cost/request {t['cost_per_request']}; cached {t['cached_token_share']}",
            ]
        )
    for s in data["top_spenders"]:
        rows.append(["top spender", s["team"], "", s["spend"], s["requests"], ""])
    for s in data["top_heavy_spenders"]:
        rows.append(["top heavy-tier spender", s["team"], "", s["spend"], s["requests"], ""])
    for c in data["ledger"]:
        rows.append(["ledger", c["category"], "", c["amount"], "", f"{c['rows']} rows"])
    seats = data["seats"]
    rows.append(["seats", "paid", "", seats["seats_paid"], "", ""])
    rows.append(["seats", "active", "", seats["seats_active"], "", ""])
    for b in data["budget"]:
        rows.append(["budget", b["label"], rng.quarter, b["budget"], "", f"actual {b['actual']}"])
    for p in table:
        rows.append(
            [
                "pilot",
                p["pilot"].title,
                rng.quarter,
                p["state"],
                "",
                f"next checkpoint {p['next_checkpoint'] or '-'}; kill recommended "
                f"{'yes' if p['kill_recommended'] else 'no'}; decision {p['decision'] or '-'}",
            ]
        )
    return [[float(c) if isinstance(c, Decimal) else c for c in row] for row in rows]


@permission_required(PORTFOLIO_PERM, raise_exception=True)
def portfolio_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The portfolio's tables as CSV or XLSX (every pilot, not one page)."""
    try:
        rng = range_from_request(request)
    except ValidationError as error:
        return _invalid(request, error, "governance/portfolio/portfolio.html")
    table = ps.pilot_table(
        rng, list(ps.pilot_rows(rng)), today=min(timezone.localdate(), rng.date_to)
    )
    rows = portfolio_export_rows(rng, ps.portfolio(rng), table)
    return table_export(
        rows, name=f"tollgate-portfolio-{rng.date_from}-{rng.date_to}", fmt=fmt, sheet="portfolio"
    )


def _funnel_filters(request: HttpRequest) -> dict:
    quarter = request.GET.get("quarter", "")
    date_from, date_to = parse_day(request.GET.get("from")), parse_day(request.GET.get("to"))
    if re.fullmatch(QUARTER_PATTERN, quarter):
        date_from, date_to = ps.quarter_bounds(quarter)
    return {
        "date_from": date_from,
        "date_to": date_to,
        "vendor": parse_id(request.GET.get("vendor")),
        "team": parse_id(request.GET.get("team")),
    }


@permission_required(FUNNEL_PERM, raise_exception=True)
def funnel_page(request: HttpRequest) -> HttpResponse:
    """How far assessments and pilots got, days per gate, and where and why they stopped."""
    filters = _funnel_filters(request)
    try:
        result = funnel_selectors.funnel(**filters)
    except ValidationError as error:
        return _invalid(request, error, "governance/portfolio/funnel.html")
    # The gate a subject stopped at, as the table above names it (the export keeps its key).
    labels = dict(funnel_selectors.STAGES)
    # Every stopped subject is counted above and exported; the page lists them a page at a
    # time, so it costs the same however many have stopped.
    stopped = Paginator(result["stopped"], STOPPED_PER_PAGE).get_page(request.GET.get("page"))
    for subject in stopped.object_list:
        subject["stage_label"] = labels.get(subject["stage"], subject["stage"])
    return render(
        request,
        "governance/portfolio/funnel.html",
        {
            "result": result,
            "stopped": stopped,
            "filters": filters,
            "quarter": request.GET.get("quarter", ""),
            "vendors": _vendors(),
            "teams": Team.objects.order_by("name").values("pk", "name"),
            "query": request.GET.urlencode(),
        },
    )


def funnel_export_rows(result: dict) -> list[list]:
    """The funnel table, then the stopped subjects, as rows."""
    rows: list[list] = [["stage", "entered", "stopped", "passed", "median_days", "p90_days", "why"]]
    for s in result["stages"]:
        why = "; ".join(f"{k}: {v}" for k, v in s["stopped_why"].items())
        rows.append(
            [
                s["stage"],
                s["entered"],
                s["stopped"],
                s["passed"],
                s["median_days"],
                s["p90_days"],
                why,
            ]
        )
    decided = result["pilot_to_decision_days"]
    rows.append(["pilot_to_decision", decided["count"], "", "", decided["median"], decided["p90"]])
    rows.append([])
    rows.append(["kind", "id", "subject", "stopped at", "reason", "detail"])
    for s in result["stopped"]:
        rows.append([s["kind"], s["id"], s["label"], s["stage"], s["reason"], s["detail"]])
    return rows


@permission_required(FUNNEL_PERM, raise_exception=True)
def funnel_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The funnel table as CSV or XLSX."""
    filters = _funnel_filters(request)
    try:
        result = funnel_selectors.funnel(**filters)
    except ValidationError as error:
        return _invalid(request, error, "governance/portfolio/funnel.html")
    return table_export(funnel_export_rows(result), name="tollgate-funnel", fmt=fmt, sheet="funnel")


@require_POST
@permission_required(PORTFOLIO_PERM, raise_exception=True)
def portfolio_packet_page(request: HttpRequest) -> HttpResponse:
    """Ask for the portfolio of a range as a PDF packet, with its appendix of source rows."""
    date_from, date_to = parse_day(request.POST.get("from")), parse_day(request.POST.get("to"))
    try:
        packet = portfolio_packet_request(
            date_from=date_from,
            date_to=date_to,
            currency=request.POST.get("currency", Currency.USD),
            actor=request.user,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("portfolio")
    return redirect("packet-page", pk=packet.pk)


def _vendors() -> list[dict]:
    """Every vendor's id and name, by name (the filter list; also names the update times)."""
    return list(Vendor.objects.order_by("name").values("pk", "name"))


def _model_updates(vendors: list[dict]) -> list[tuple]:
    """(vendor, days to approval, days to majority traffic, versions approved, versions
    switched to), formatted, for every vendor with a dated version, by name."""
    times = model_update_times()
    names = {v["pk"]: v["name"] for v in vendors}
    # Formatted here, not by filters: a table of every vendor was a quarter of the page's
    # rendering.
    return sorted(
        (
            names[pk],
            NONE if t.to_approval is None else f"{number(t.to_approval, 1)} days",
            NONE if t.to_majority is None else f"{number(t.to_majority, 1)} days",
            number(t.approved, 0),
            number(t.switched, 0),
        )
        for pk, t in times.items()
    )

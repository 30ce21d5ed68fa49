"""Charts, the pilot page's evaluation section, notifications page and the admin CSV import."""

import os
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from governance.charts import Line, metric_chart_svg, spend_charts, stacked_spend_svg
from governance.models import Measurement
from governance.selectors.pilots import pilot_chart_specs
from governance.services import pilots as ps
from governance.services.measurements import measurements_ingest
from governance.templatetags.money import unit_money, whole_money
from tests.factories import UserFactory
from tests.governance.conftest import START


def _chart(**overrides) -> str:
    arguments = {
        "title": "Reviewer load",
        "unit": "minutes",
        "start": date(2027, 1, 1),
        "end": date(2027, 7, 1),
        "grace_days": 60,
        "points": [(date(2027, 1, 8), Decimal("40")), (date(2027, 1, 15), Decimal("44"))],
        "lines": [Line("baseline", Decimal("38"), "#15803d"), Line("kill", Decimal("45.6"), "red")],
    }
    return metric_chart_svg(**{**arguments, **overrides})


def test_a_chart_escapes_user_text_and_draws_each_line():
    svg = _chart(title="<script>alert(1)</script>", unit="</text><x>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "&lt;/text&gt;&lt;x&gt;" in svg
    assert svg.count('<g id="reference') == 2
    assert "baseline: 38" in svg and "kill: 45.6" in svg
    assert svg.count('<g id="series') == 1


def test_a_chart_reads_dollars_literally():
    # Matplotlib reads $...$ as mathematics; a metric named with a currency must not be.
    svg = _chart(title="Spend $ per $ request", unit="USD")
    assert "Spend $ per $ request (USD)" in svg


def test_a_chart_has_dated_ticks_a_legend_checkpoints_and_markers():
    svg = _chart(checkpoints=[30, 90, 180], markers=[(date(2027, 2, 20), "model switch: v2")])
    assert all(month in svg for month in ("Feb", "Mar", "Apr", "May", "Jun"))
    assert '<g id="legend_1">' in svg
    for label in ("measured", "grace period (60 days)", "checkpoint", "day 30", "day 180"):
        assert label in svg
    assert svg.count('<g id="checkpoint') == 3
    assert svg.count('<g id="marker') == 1 and "model switch: v2" in svg


def test_a_chart_is_the_same_bytes_each_time_and_fits_its_container():
    # Packets are hashed and chained: a chart must not carry a render date or random ids.
    assert _chart() == _chart()
    assert "<dc:date>" not in _chart()
    assert _chart().startswith('<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="100%"')
    assert 'viewBox="0 0 600 270"' in _chart()


def test_a_year_of_daily_periods_is_a_line_without_a_dot_each():
    start = date(2027, 1, 1)
    svg = _chart(
        end=start + timedelta(days=365),
        points=[(start + timedelta(days=d), Decimal(40 + d % 5)) for d in range(365)],
        lines=[],
    )
    assert svg.count('<g id="series') == 1
    assert _dots(svg) == 0


def _dots(svg: str) -> int:
    """Matplotlib draws each dot as a <use> of one marker, in the series' colour."""
    return len(re.findall(r'<use [^>]*style="fill: #1f5fa8', svg))


def test_a_few_periods_get_a_dot_each():
    assert _dots(_chart()) == 2 + 1  # two dots, and the legend's sample dot


def test_a_chart_without_data_says_so():
    svg = _chart(end=date(2027, 2, 1), grace_days=10, points=[], lines=[])
    assert "no measurements yet" in svg


MONTHS = [date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)]


def _stacked(count: int, **overrides) -> str:
    """A stacked spend chart of `count` series, series i spending 100 * (i + 1) a month."""
    series = [(f"team {i}", [Decimal(100 * (i + 1))] * 3) for i in range(count)]
    arguments = {"title": "Spend by team", "currency": "USD", "months": MONTHS, "series": series}
    return stacked_spend_svg(**{**arguments, **overrides})


def _legend(svg: str) -> list[str]:
    """The legend's labels, top to bottom."""
    legend = svg[svg.index('<g id="legend_1">') :]
    return re.findall(r"<text [^>]*>([^<]*)</text>", legend)


def test_a_stacked_chart_stacks_each_series_per_month_with_a_legend_and_money_axis():
    svg = _stacked(3)
    # A bar per series and month.
    assert svg.count('<g id="stack') == 3 * 3
    # The largest at the bottom; the legend reads as the bars stack, top first.
    assert _legend(svg) == ["team 0", "team 1", "team 2"]
    assert "Spend (USD)" in svg
    assert "$600" in svg  # the top of the stack (100 + 200 + 300) on the money axis
    assert all(m in svg for m in ("Jan 2027", "Feb 2027", "Mar 2027"))


def test_a_stacked_chart_sums_the_smallest_series_past_eight_as_other():
    svg = _stacked(11)
    assert svg.count('<g id="stack') == 8 * 3
    labels = _legend(svg)
    # The seven largest, and the four smallest summed (100 + 200 + 300 + 400 a month).
    assert labels[0] == "Other (4)" and labels[1:] == [f"team {i}" for i in range(4, 11)]
    assert _stacked(8).count('<g id="stack') == 8 * 3 and "Other" not in _stacked(8)


def test_a_stacked_chart_is_named_for_screen_readers_and_escapes_user_text():
    svg = _stacked(1, series=[("<script>x</script> $a$", [Decimal(1)] * 3)], title="Spend & co")
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script&gt; $a$" in svg
    opening = svg[: svg.index(">")]
    assert 'role="img"' in opening and 'aria-label="Chart: Spend &amp; co, stacked bars' in opening
    assert "<title>Chart: Spend &amp; co, stacked bars of spend in USD per month from " in svg
    assert svg.startswith('<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="100%"')


def test_a_stacked_chart_is_the_same_bytes_each_time_and_says_when_nothing_was_spent():
    assert _stacked(4) == _stacked(4)
    assert "no spend in this range" in _stacked(0)
    assert "<dc:date>" not in _stacked(4)


def test_a_stacked_chart_names_a_long_range_without_crowding_its_months():
    months = [date(2025 + i // 12, i % 12 + 1, 1) for i in range(30)]
    svg = _stacked(0, months=months, series=[("team", [Decimal(5)] * 30)])
    ticks = re.findall(r'<g id="xtick_\d+">', svg)
    assert 3 <= len(ticks) <= 8


def test_the_portfolio_charts_one_stacked_chart_per_dimension():
    spend_by = {
        d: {"months": MONTHS, "series": [{"label": f"{d} a", "values": [Decimal(1)] * 3}]}
        for d in ("team", "model_version")
    }
    charts = spend_charts(spend_by, currency="EUR")
    assert set(charts) == {"team", "model_version"}
    assert "Spend by model version" in charts["model_version"] and "€1" in charts["team"]


def test_a_cost_per_request_shows_enough_decimals_to_be_more_than_nothing():
    assert unit_money("0.002833", "USD") == "$0.0028"
    assert unit_money("0.3", "USD") == "$0.30"
    assert unit_money("0.0153", "USD") == "$0.015"
    assert unit_money("12.345678", "USD") == "$12.35"
    assert unit_money("0.000001", "CHF") == "CHF\u00a00.000001"
    assert unit_money(None) == "—"
    assert whole_money("12345.6", "USD") == "$12,346"


def _weekly_reviewer_load(pilot, *, weeks: int) -> list[dict]:
    """A reviewer-load measurement for each of the pilot's first weeks, as telemetry posts it."""
    return [
        {
            "pilot": pilot.pk,
            "metric": "reviewer-load",
            "tier": "",
            "period_start": (START + timedelta(days=7 * i)).isoformat(),
            "period_end": (START + timedelta(days=7 * i + 6)).isoformat(),
            "value": "44",
            "sample_size": 10,
        }
        for i in range(weeks)
    ]


@pytest.fixture
def running(approved_pilot, ai_pm):
    with time_machine.travel(START, tick=False):
        return ps.pilot_start(pilot=approved_pilot, actor=ai_pm)


@pytest.mark.django_db
def test_the_pilot_page_charts_and_evaluates(client, ai_pm, running, platform):
    with time_machine.travel(START + timedelta(days=31), tick=False):
        # Posted once the four weeks are over: periods ending after today are refused.
        measurements_ingest(rows=_weekly_reviewer_load(running, weeks=4), actor=platform)
        client.force_login(ai_pm)  # inside the travel: sessions expire after two weeks
        html = client.get(f"/pilots/{running.pk}/").content.decode()
        # The page links each chart as an image, drawn afresh when the browser asks for it.
        (src,) = re.findall(r'<img src="([^"]+)" alt="Chart: Reviewer[^"]*"', html)
        chart = client.get(src)
        assert chart["Content-Type"] == "image/svg+xml; charset=utf-8"
        assert chart["Cache-Control"] == "private, no-cache"
        assert "default-src 'none'" in chart["Content-Security-Policy"]
        assert "<svg" in chart.content.decode() and "kill from day 60" in chart.content.decode()
        client.post(f"/pilots/{running.pk}/evaluate/", {"checkpoint_day": "30"})
        html = client.get(f"/pilots/{running.pk}/").content.decode()
    assert "Day 30 (2027-01-04 → 2027-02-03)" in html
    assert "inside the grace period (evaluated from day 60)" in html


@pytest.mark.django_db
def test_a_chart_is_for_those_who_may_view_its_pilot_and_names_a_real_metric(
    client, running, platform
):
    with time_machine.travel(START + timedelta(days=31), tick=False):
        measurements_ingest(rows=_weekly_reviewer_load(running, weeks=4), actor=platform)
        spec = pilot_chart_specs(pilot=running)[0]
        url = f"/pilots/{running.pk}/charts/{spec.metric_id}/{spec.tier_slug}.svg"
        assert client.get(url).status_code == 302  # anonymous: to the sign-in page
        client.force_login(UserFactory())  # signed in, no role
        assert client.get(url).status_code in (403, 404)
        client.force_login(platform)
        assert client.get(url).status_code == 200
        assert client.get(url.replace(f"/{spec.metric_id}/", "/999999/")).status_code == 404


@pytest.mark.django_db
def test_the_notifications_page_lists_and_marks_read(client, ai_pm):
    from governance.services.notifications import notify

    notify(users=[ai_pm], kind="checkpoint", title="Day 30 evaluated", body="All fine.")
    client.force_login(ai_pm)
    assert "Day 30 evaluated" in client.get("/notifications/").content.decode()
    nid = ai_pm.notifications.get().pk
    client.post("/notifications/", {"id": nid})
    assert ai_pm.notifications.get().read_at is not None


@pytest.mark.django_db
@time_machine.travel(START + timedelta(days=31), tick=False)  # the periods are over by then
def test_the_admin_import_is_all_or_nothing(client, platform, running):
    header = "pilot,metric,tier,period_start,period_end,value,sample_size\n"
    good = f"{running.pk},reviewer-load,,2027-01-04,2027-01-10,40,12\n"
    bad = f"{running.pk},reviewer-load,,2027-01-11,2027-01-17,oops,12\n"
    client.force_login(platform)
    response = client.post(
        "/admin/governance/measurement/import/",
        {"csv_file": SimpleUploadedFile("m.csv", (header + good + bad).encode())},
        follow=True,
    )
    assert "Row 1: Give a finite number below 10^12." in response.content.decode()
    assert Measurement.objects.count() == 0
    client.post(
        "/admin/governance/measurement/import/",
        {"csv_file": SimpleUploadedFile("m.csv", (header + good).encode())},
    )
    assert Measurement.objects.get().source == "import"


@pytest.mark.django_db
def test_the_admin_import_is_forbidden_to_readers(client, auditor):
    client.force_login(auditor)
    assert client.get("/admin/governance/measurement/import/").status_code == 403


@pytest.mark.django_db
def test_the_baseline_csv_import_is_all_or_nothing(pilot, ai_pm, tmp_path, client):
    import io

    from django.core.management import CommandError, call_command

    header = "pilot,metric,tier,value,sample_size,period_start,period_end\n"
    good = (
        f"{pilot.pk},reviewer-load,,41,80,2026-09-01,2026-11-30\n"
        f"{pilot.pk},cycle-time,complex,70,30,2026-09-01,2026-11-30\n"
    )
    bad = f"{pilot.pk},cycle-time,,30,30,2026-09-01,2026-11-30\n"
    path = tmp_path / "b.csv"
    path.write_text(header + good + bad)
    with pytest.raises(CommandError, match="Row 2: Cycle time per shipped PR is measured per"):
        call_command("import_baselines", str(path), "--as-user", "ai_pm")
    assert not pilot.baselines.exists()
    path.write_text(header + good)
    out = io.StringIO()
    call_command("import_baselines", str(path), "--as-user", "ai_pm", stdout=out)
    assert "Recorded 2 baselines." in out.getvalue()
    assert pilot.baselines.get(tier="complex").source == "import"
    client.force_login(ai_pm)
    client.post(
        "/admin/governance/baseline/import/",
        {"csv_file": SimpleUploadedFile("b.csv", (header + good).replace(",41,", ",39,").encode())},
    )
    assert pilot.baselines.get(metric__code="reviewer-load").value == Decimal("39")


@pytest.mark.django_db
def test_another_owner_cannot_import_baselines_for_my_pilot(pilot, tmp_path):
    from django.core.management import CommandError, call_command

    from tests.factories import UserFactory

    UserFactory(username="pm2", role="ai_pm")
    path = tmp_path / "b.csv"
    path.write_text(
        "pilot,metric,tier,value,sample_size,period_start,period_end\n"
        f"{pilot.pk},reviewer-load,,41,80,2026-09-01,2026-11-30\n"
    )
    with pytest.raises(CommandError, match="You may not record baselines"):
        call_command("import_baselines", str(path), "--as-user", "pm2")


@pytest.mark.django_db
def test_the_chart_spans_the_pilot_to_its_last_checkpoint_whatever_the_data(running, platform):
    """The x-axis runs from the start to the last checkpoint: more data must not rescale it."""

    from governance.selectors.pilots import pilot_charts
    from governance.services.measurements import measurements_ingest

    def grace_band_width(weeks: int) -> str:
        # Posted once the weeks are over: periods ending after today are refused.
        with time_machine.travel(START + timedelta(days=7 * weeks), tick=False):
            measurements_ingest(rows=_weekly_reviewer_load(running, weeks=weeks), actor=platform)
        (svg,) = [c for c in pilot_charts(pilot=running) if "Reviewer" in c]
        return re.search(r'<g id="grace[^"]*">\s*<path d="([^"]+)"', svg).group(1)

    assert grace_band_width(4) == grace_band_width(12)


def test_a_chart_is_the_same_bytes_in_another_process():
    """Packets are hashed: a worker process must draw the bytes a web process draws."""
    import subprocess
    import sys

    program = (
        "from datetime import date; from decimal import Decimal;"
        "from governance.charts import metric_chart_svg, Line;"
        "print(metric_chart_svg(title='t', unit='u', start=date(2027, 1, 1),"
        " end=date(2027, 7, 1), grace_days=60, checkpoints=[30, 90],"
        " points=[(date(2027, 1, 8), Decimal('40'))], lines=[Line('b', Decimal('38'), 'green')],"
        " markers=[(date(2027, 2, 1), 'model v2')]))"
    )
    outputs = {
        subprocess.run(  # noqa: S603 - our own interpreter and a fixed program
            [sys.executable, "-c", program],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1 and "model v2" in outputs.pop()

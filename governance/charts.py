"""Server-side SVG charts (pure: no ORM, no JavaScript), for pilot pages and PDF packets.

A metric's series is drawn against its baseline, with the stabilisation grace period shaded,
each kill threshold as a dashed line, each checkpoint (and any marker, such as a model switch)
as a vertical line, and a legend. Matplotlib draws them with its SVG backend; the output is
deterministic (fixed hash salt, no date metadata, fixed margins) so a packet rendered twice from
the same data has the same bytes, and its hash chain stays reproducible.
"""

import hashlib
import html
import io
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

# Matplotlib writes a font cache into its config directory on first use; the web and worker
# processes may run with a read-only home, so give it a writable one before importing it.
os.environ.setdefault("MPLCONFIGDIR", os.path.join(tempfile.gettempdir(), "tollgate-matplotlib"))

import matplotlib

matplotlib.use("svg")  # no GUI, no display: the SVG backend only

import matplotlib.dates as mdates
import matplotlib.style
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator


@dataclass(frozen=True)
class Line:
    """A horizontal reference line."""

    label: str
    value: Decimal
    colour: str


# Above this many periods a chart draws its line without a dot per period.
MAX_DOTS = 90

SERIES = "#1f5fa8"
GRACE = "#e5e7eb"
CHECKPOINT = "#6b7280"
MARKER = "#7c3aed"
# Styles that make a chart read the same on screen and on paper, whatever matplotlibrc says.
STYLE = {
    # DejaVu ships with matplotlib (for measuring) and with Debian (fonts-dejavu-core, for
    # WeasyPrint and browsers); any sans-serif stands in where it is missing.
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    # Text stays text: selectable on pages, searchable in packets, small files.
    "svg.fonttype": "none",
    "axes.edgecolor": "#9ca3af",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": "#374151",
    "ytick.color": "#374151",
    "axes.grid": True,
    "grid.color": "#eef0f3",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "path.simplify": False,
    # A fixed title position: matplotlib otherwise measures every tick label to place it.
    "axes.titley": 1.0,
}


def _plain(text: str) -> str:
    """User text shown literally: matplotlib would read $...$ as mathematics."""
    return str(text).replace("$", r"\$")


def _value(number: Decimal) -> str:
    return format(Decimal(number).normalize(), "f")


def _svg(figure: Figure, salt: str, label: str) -> str:
    with matplotlib.rc_context({"svg.hashsalt": salt}):
        buffer = io.StringIO()
        # No Date: the same data must give the same bytes (packets are hashed and chained).
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # The chart takes the width of its container (a page column or the packet's text width)
    # and keeps its proportions through the viewBox. Inline on a page it is one image to a
    # screen reader, named by its label (and a <title> for those that read that instead).
    name = html.escape(label, quote=True)
    svg = re.sub(
        r'<svg([^>]*?) width="[^"]+" height="[^"]+"',
        lambda m: f'<svg{m.group(1)} width="100%" role="img" aria-label="{name}"',
        svg,
        count=1,
    )
    start = svg.index(">") + 1
    return f"{svg[:start]}\n <title>{name}</title>{svg[start:]}"


def metric_chart_svg(
    *,
    title: str,
    unit: str,
    points: list[tuple[date, Decimal]],
    start: date,
    end: date,
    grace_days: int,
    lines: list[Line],
    checkpoints: list[int] | None = None,
    markers: list[tuple[date, str]] | None = None,
    width: int = 600,
    height: int = 270,
) -> str:
    """Render one metric's series as an SVG string (text escaped), `width` x `height` points.

    `checkpoints` are days after `start`; `markers` are other dated events (a model switch).
    """
    return _chart(
        title,
        unit,
        tuple(points),
        start,
        end,
        grace_days,
        tuple(lines),
        tuple(checkpoints or ()),
        tuple(markers or ()),
        width,
        height,
    )


# Drawn afresh every time (nothing remembered): pages ask for each chart as its own image
# (governance.views.pilots.pilot_chart) and packets are drawn by a worker.
def _chart(
    title: str,
    unit: str,
    points: tuple[tuple[date, Decimal], ...],
    start: date,
    end: date,
    grace_days: int,
    lines: tuple[Line, ...],
    checkpoints: tuple[int, ...],
    markers: tuple[tuple[date, str], ...],
    width: int,
    height: int,
) -> str:
    # From matplotlib's defaults, not a matplotlibrc the host may have: the same bytes anywhere.
    with matplotlib.style.context(["default", STYLE]):
        figure = Figure(figsize=(width / 72, height / 72), dpi=72)
        # Fixed margins rather than a tight layout: the plot area (and so the grace band and
        # every date) sits at the same place whatever the data, labels and tick widths.
        figure.subplots_adjust(left=0.1, right=0.98, top=0.88, bottom=0.3)
        axes = figure.add_subplot()
        axes.set_title(
            _plain(f"{title} ({unit})" if unit else title), loc="left", fontsize=11, pad=8
        )
        axes.set_xlim(start, max(end, start + timedelta(days=1)))
        # A series without a grace period (spend over a quarter) gets no empty band in its legend.
        if grace_days:
            axes.axvspan(
                start,
                start + timedelta(days=grace_days),
                color=GRACE,
                label=f"grace period ({grace_days} days)",
                gid="grace",
                zorder=0,
            )
        for line in lines:
            axes.axhline(
                float(line.value),
                color=line.colour,
                linestyle=(0, (5, 4)),
                linewidth=1.4,
                label=_plain(f"{line.label}: {_value(line.value)}"),
                gid="reference",
            )
        span = max((end - start).days, 1)
        for day in sorted(set(checkpoints or [])):
            axes.axvline(
                start + timedelta(days=day), color=CHECKPOINT, linewidth=0.9, gid="checkpoint"
            )
            # Near the right edge the label goes left of its line, so it stays on the chart.
            right = day > span * 0.9
            axes.annotate(
                f"day {day}",
                xy=(start + timedelta(days=day), 1),
                xycoords=("data", "axes fraction"),
                xytext=(-3 if right else 3, -11),
                textcoords="offset points",
                ha="right" if right else "left",
                fontsize=8,
                color=CHECKPOINT,
            )
        if checkpoints:
            # One legend entry for all checkpoint lines.
            axes.plot([], [], color=CHECKPOINT, linewidth=0.9, label="checkpoint")
        for day, label in sorted(markers or []):
            axes.axvline(day, color=MARKER, linestyle=":", linewidth=1.4, gid="marker")
            axes.annotate(
                _plain(label),
                xy=(day, 0),
                xycoords=("data", "axes fraction"),
                xytext=(-3, 4),
                textcoords="offset points",
                ha="right",
                va="bottom",
                fontsize=8,
                color=MARKER,
                rotation=90,
                # Readable where it crosses the series or a reference line.
                bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"},
            )
        if points:
            ordered = sorted(points)
            axes.plot(
                [d for d, _ in ordered],
                [float(v) for _, v in ordered],
                color=SERIES,
                linewidth=2,
                # A dot per period while they can be told apart; a year of daily periods is a line.
                marker="o" if len(ordered) <= MAX_DOTS else None,
                markersize=4,
                label="measured",
                gid="series",
            )
        else:
            axes.text(
                0.5,
                0.5,
                "no measurements yet",
                transform=axes.transAxes,
                ha="center",
                va="center",
                color="#6b7280",
                fontsize=10,
            )
        if not points and not lines:
            axes.set_yticks([])
        else:
            axes.margins(y=0.15)
        locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        axes.tick_params(labelsize=9)
        # The series first, then the lines it is judged against, then the time bands.
        handles, labels = axes.get_legend_handles_labels()
        order = sorted(
            range(len(labels)),
            key=lambda i: (
                labels[i] != "measured",
                not labels[i].startswith("baseline"),
                not labels[i].startswith("kill"),
                i,
            ),
        )
        axes.legend(
            [handles[i] for i in order],
            [labels[i] for i in order],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16),
            ncols=3,
            fontsize=9,
            handlelength=2.4,
        )
        salt = hashlib.sha256(f"{title}\x00{unit}".encode()).hexdigest()[:16]
        return _svg(figure, salt, f"Chart: {title} ({unit})" if unit else f"Chart: {title}")


# A stacked chart keeps this many series apart; the rest are summed as one, OTHER.
MAX_STACKED = 8
OTHER = "Other"
# Colour-blind-safe (Okabe-Ito, then Tableau's), told apart on paper too; grey is for OTHER.
STACK_COLOURS = (
    "#1f5fa8",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#8c564b",
    "#f0e442",
)
OTHER_COLOUR = "#9ca3af"
# A legend label longer than this is cut (the table beside the chart has the whole name).
LEGEND_CHARS = 26


def _shortened(label: str) -> str:
    """A long label cut in its middle: a model version's family and its version both stay."""
    if len(label) <= LEGEND_CHARS:
        return label
    head = LEGEND_CHARS // 2
    return f"{label[:head]}…{label[-(LEGEND_CHARS - head - 1) :]}"


def split_largest(ranked: list, limit: int = MAX_STACKED) -> tuple[list, list]:
    """Ranked series (largest first) split into those kept apart and the rest, summed as
    OTHER: all are kept when `limit` fit, else the largest `limit - 1`. The stacked chart
    and the table beside it split alike."""
    if len(ranked) <= limit:
        return ranked, []
    return ranked[: limit - 1], ranked[limit - 1 :]


def _stacked_series(
    series: list[tuple[str, list[Decimal]]], months: int, limit: int
) -> list[tuple[str, list[Decimal]]]:
    """The largest `limit - 1` series by total, then the rest summed as OTHER (no OTHER when
    all fit)."""
    ranked = sorted(series, key=lambda s: (-sum(s[1], Decimal(0)), s[0]))
    kept, rest = split_largest(ranked, limit)
    if not rest:
        return kept
    other = [sum((values[i] for _, values in rest), Decimal(0)) for i in range(months)]
    return [*kept, (f"{OTHER} ({len(rest)})", other)]


def stacked_spend_svg(
    *,
    title: str,
    currency: str,
    months: list[date],
    series: list[tuple[str, list[Decimal]]],
    limit: int = MAX_STACKED,
    width: int = 600,
    height: int = 270,
) -> str:
    """Spend per month as stacked bars, one colour per series (the largest at the bottom), the
    money axis in `currency`, and a legend; past `limit` series the smallest are summed as
    "Other (n)". `series` are (label, one value per month); the SVG's text is escaped."""
    from governance.templatetags.money import whole_money

    stacked = _stacked_series(series, len(months), limit)
    # A size larger than the metric charts': these sit at their drawn width beside page text.
    with matplotlib.style.context(["default", STYLE, {"font.size": 11}]):
        figure = Figure(figsize=(width / 72, height / 72), dpi=72)
        # The legend sits right of the bars, so a long label never covers them.
        figure.subplots_adjust(left=0.16, right=0.62, top=0.88, bottom=0.16)
        axes = figure.add_subplot()
        axes.set_title(_plain(title), loc="left", fontsize=13, pad=8)
        axes.set_ylabel(_plain(f"Spend ({currency})"))
        axes.set_axisbelow(True)  # the grid behind the bars, not across them
        positions = list(range(len(months)))
        bottom = [0.0] * len(months)
        for index, (label, values) in enumerate(stacked):
            heights = [float(v) for v in values]
            other = len(series) > limit and index == len(stacked) - 1
            name = _shortened(label)
            axes.bar(
                positions,
                heights,
                bottom=bottom,
                width=0.7,
                color=OTHER_COLOUR if other else STACK_COLOURS[index % len(STACK_COLOURS)],
                edgecolor="white",
                linewidth=0.6,
                label=_plain(name),
                gid="stack",
            )
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        if not any(bottom):
            axes.text(
                0.5,
                0.5,
                "no spend in this range",
                transform=axes.transAxes,
                ha="center",
                va="center",
                color="#6b7280",
                fontsize=12,
            )
            axes.set_yticks([])
        else:
            axes.yaxis.set_major_locator(MaxNLocator(nbins=5, min_n_ticks=3))
            axes.yaxis.set_major_formatter(
                FuncFormatter(lambda value, _: _plain(whole_money(Decimal(str(value)), currency)))
            )
        axes.grid(axis="x", visible=False)
        # Past a few months a label takes two lines, and past a year only some months get one.
        pattern = "%b %Y" if len(months) <= 4 else "%b\n%Y"
        axes.xaxis.set_major_locator(MaxNLocator(nbins=6 if len(months) > 12 else 12, integer=True))
        axes.xaxis.set_major_formatter(
            FuncFormatter(
                lambda x, _: months[int(x)].strftime(pattern) if 0 <= x < len(months) else ""
            )
        )
        axes.tick_params(labelsize=10.5)
        axes.set_xlim(-0.6, max(len(months), 1) - 0.4)
        handles, labels = axes.get_legend_handles_labels()
        if handles:
            # Read top to bottom as the bars stack: the top segment first.
            axes.legend(
                handles[::-1],
                labels[::-1],
                loc="upper left",
                bbox_to_anchor=(1.02, 1.0),
                fontsize=10.5,
                handlelength=1.2,
            )
        salt = hashlib.sha256(f"{title}\x00{currency}".encode()).hexdigest()[:16]
        described = ", ".join(label for label, _ in stacked) or "no spend"
        return _svg(
            figure,
            salt,
            f"Chart: {title}, stacked bars of spend in {currency} per month "
            f"from {months[0]:%B %Y} to {months[-1]:%B %Y}: {described}"
            if months
            else f"Chart: {title}",
        )


def spend_charts(spend_by: dict[str, dict], *, currency: str) -> dict[str, str]:
    """One stacked chart per dimension of a portfolio's spend over time (each its "months" and
    its "series" of label and values): the portfolio page and its packet draw the same."""
    return {
        dimension: stacked_spend_svg(
            title=f"Spend by {dimension.replace('_', ' ')}",
            currency=currency,
            months=spend["months"],
            series=[(s["label"], s["values"]) for s in spend["series"]],
        )
        for dimension, spend in spend_by.items()
    }


def svg_response(svg: str):
    """A chart as its own image response: no script may run in it, and it is never cached
    (a chart follows its rows, so a browser asks again rather than show an old one)."""
    from django.http import HttpResponse

    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    # Opened on its own, the image may style itself and nothing more (it holds no script).
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["Cache-Control"] = "private, no-cache"
    return response

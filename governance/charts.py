"""Server-side SVG charts (pure: no ORM, no JavaScript), for pilot pages and PDF packets.

A metric's series is drawn against its baseline, with the stabilisation grace period shaded
and each kill threshold as a dashed line.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import escape


@dataclass(frozen=True)
class Line:
    """A horizontal reference line."""

    label: str
    value: Decimal
    colour: str


# Above this many periods a chart draws its line without a dot per period.
MAX_DOTS = 90


def metric_chart_svg(
    *,
    title: str,
    unit: str,
    points: list[tuple[date, Decimal]],
    start: date,
    end: date,
    grace_days: int,
    lines: list[Line],
    width: int = 640,
    height: int = 220,
    markers: list[tuple[date, str]] | None = None,
) -> str:
    """Render one metric's series as an SVG string (text escaped); `markers` are (day, label)
    vertical lines, e.g. a model switch."""
    left, right, top, bottom = 56, 16, 28, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, v in points] + [line.value for line in lines]
    low = min(values, default=Decimal(0))
    high = max(values, default=Decimal(1))
    if high == low:
        high, low = high + 1, low - 1
    pad = (high - low) * Decimal("0.1")
    low, high = low - pad, high + pad
    span_days = max((end - start).days, 1)

    def x(day: date) -> float:
        return left + plot_w * max(0, min((day - start).days, span_days)) / span_days

    def y(value: Decimal) -> float:
        return top + plot_h * float((high - value) / (high - low))

    grace_end = start + timedelta(days=grace_days)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{left}" y="16" font-size="13" font-family="sans-serif">{escape(title)}'
        f" ({escape(unit)})</text>",
        f'<rect x="{left}" y="{top}" width="{x(grace_end) - left:.1f}" height="{plot_h}" '
        'fill="#e5e7eb"><title>stabilisation grace</title></rect>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#9ca3af"/>',
    ]
    for line in lines:
        ly = y(line.value)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{ly:.1f}" y2="{ly:.1f}" '
            f'stroke="{line.colour}" stroke-dasharray="5 4"/>'
            f'<text x="{left + plot_w - 4}" y="{ly - 4:.1f}" font-size="10" text-anchor="end" '
            f'font-family="sans-serif" fill="{line.colour}">{escape(line.label)} '
            f"{escape(format(line.value.normalize(), 'f'))}</text>"
        )
    for day, label in markers or []:
        mx = x(day)
        parts.append(
            f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{top}" y2="{top + plot_h}" stroke="#7c3aed" '
            f'stroke-dasharray="2 3"><title>{day.isoformat()} {escape(label)}</title></line>'
            f'<text x="{mx + 3:.1f}" y="{top + 10}" font-size="10" font-family="sans-serif" '
            f'fill="#7c3aed">{escape(label)}</text>'
        )
    if points:
        xy = [(x(d), y(v)) for d, v in sorted(points)]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in xy)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1f5fa8" stroke-width="2"/>')
        # A dot per period while they can be told apart; a year of daily periods is a line.
        if len(xy) <= MAX_DOTS:
            parts += [
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="#1f5fa8"/>' for px, py in xy
            ]
    else:
        parts.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle" '
            'font-size="12" font-family="sans-serif" fill="#6b7280">no measurements yet</text>'
        )
    for value in (low + pad, high - pad):
        parts.append(
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" font-size="10" text-anchor="end" '
            f'font-family="sans-serif">{escape(format(value.quantize(Decimal("0.01")), "f"))}'
            "</text>"
        )
    parts.append(
        f'<text x="{left}" y="{height - 8}" font-size="10" font-family="sans-serif">'
        f"{start.isoformat()}</text>"
        f'<text x="{left + plot_w}" y="{height - 8}" font-size="10" text-anchor="end" '
        f'font-family="sans-serif">{end.isoformat()}</text></svg>'
    )
    return "".join(parts)

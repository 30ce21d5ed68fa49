"""Finding model switches in a pilot's daily requests per model version: pure, no ORM.

Versions of one model family compete for the same routing slot (a gateway routes "the
standard model" to helix-core:3.0 or 3.5), so a version's share is taken among its family's
requests that day. The version in use is the first day's leader; a switch is the first day
another version of the family reaches the threshold share, and that version is then in use.
A pair is reported once however often traffic flips between them.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

DailyRequests = tuple[date, int, int]  # (day, model version id, requests)


@dataclass(frozen=True)
class Detected:
    """One switch: the day a version took over from another, and its share that day."""

    day: date
    from_version: int
    to_version: int
    share: float


def detect_switches(rows: Iterable[DailyRequests], *, threshold: float) -> list[Detected]:
    """Switches within one model family's daily requests, in day order."""
    if not 0 < threshold <= 1:
        raise ValueError("threshold is a share between 0 and 1")
    by_day: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for day, version, requests in rows:
        by_day[day][version] += requests
    current: int | None = None
    seen: set[tuple[int, int]] = set()
    found = []
    for day in sorted(by_day):
        counts = by_day[day]
        total = sum(counts.values())
        if total <= 0:
            continue
        if current is None:
            # Ties go to the lower id (the older catalog entry), so reruns agree.
            current = max(counts, key=lambda v: (counts[v], -v))
            continue
        # The largest challenger decides, should two versions both pass a low threshold.
        challengers = sorted(
            (v for v in counts if v != current and counts[v] / total >= threshold),
            key=lambda v: (-counts[v], v),
        )
        if not challengers:
            continue
        winner = challengers[0]
        if (current, winner) not in seen:
            seen.add((current, winner))
            found.append(Detected(day, current, winner, counts[winner] / total))
        current = winner
    return found


@dataclass(frozen=True)
class Span:
    """A version in use from one day to another, with its requests and peak daily share."""

    version: int
    first: date
    last: date
    requests: int
    peak_share: float


def version_spans(rows: Iterable[DailyRequests]) -> list[Span]:
    """Each version's first and last day seen, requests and peak share of its day's requests."""
    rows = list(rows)
    totals: dict[date, int] = defaultdict(int)
    for day, _version, requests in rows:
        totals[day] += requests
    spans: dict[int, list] = {}
    for day, version, requests in rows:
        share = requests / totals[day] if totals[day] else 0.0
        span = spans.setdefault(version, [day, day, 0, 0.0])
        span[0], span[1] = min(span[0], day), max(span[1], day)
        span[2] += requests
        span[3] = max(span[3], share)
    return sorted((Span(v, *s) for v, s in spans.items()), key=lambda s: (s.first, s.version))

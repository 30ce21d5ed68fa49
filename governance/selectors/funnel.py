"""The adoption funnel: how far every assessment and pilot got, how long each gate took, and
where and why the ones that stopped, stopped.

Read from the stored transition history only (AssessmentTransition, PilotTransition) plus
each subject's creation time, so a figure is what happened, not what a status says now
(docs/portfolio.md). Gates, in order:
  vendor_review  an assessment opened               -> approved
  shortlist      an assessment approved             -> a pilot of the vendor chartered after it
  pilot_charter  a pilot registered (draft)         -> running
  running        a pilot started                    -> under review (a checkpoint reached)
  checkpoint     under review                       -> closed with a decision
  decision       closed                             -> expanded into production
  production     expanded
Days per gate are from entering it to entering the next, for the subjects that went on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from governance.choices import PilotOutcome, PilotStatus
from governance.models import Pilot, PilotTransition
from vendors.choices import AssessmentStatus
from vendors.models import Assessment, AssessmentTransition

STAGES = (
    ("vendor_review", "Vendor review"),
    ("shortlist", "Shortlist"),
    ("pilot_charter", "Pilot charter"),
    ("running", "Running"),
    ("checkpoint", "Checkpoint review"),
    ("decision", "Decision"),
    ("production", "Production"),
)
STAGE_NAMES = [s for s, _ in STAGES]
# Why a subject stopped, in words the page shows.
KILLED = "killed"
WITHDRAWN = "withdrawn"
BLOCKED = "blocked by a checklist item"
EXPIRED = "expired"
CONTRACTED = "contracted"
CONCLUDED = "concluded"
OUTCOME_REASON = {
    PilotOutcome.KILLED: KILLED,
    PilotOutcome.CONTRACTED: CONTRACTED,
    PilotOutcome.CONCLUDED: CONCLUDED,
}


@dataclass
class Journey:
    """One subject's way through the gates: when it entered each, and where it stopped."""

    kind: str  # assessment or pilot
    id: int
    label: str
    vendor_id: int
    entered: dict[str, datetime]
    stopped_at: str = ""
    reason: str = ""
    detail: str = ""


def _days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (linear interpolation between ranks, numpy's default), 1 decimal."""
    if not values:
        return None
    return round(float(np.percentile(values, q)), 1)


def _first(history, to: str) -> PilotTransition | AssessmentTransition | None:
    return next((h for h in history if h.to_status == to), None)


def _assessment_journeys(assessments) -> list[Journey]:
    out = []
    for a in assessments:
        history = list(a.history.all())
        entered = {"vendor_review": a.opened_at}
        journey = Journey("assessment", a.pk, str(a), a.vendor_id, entered)
        approved = _first(history, AssessmentStatus.APPROVED)
        if approved is not None:
            entered["shortlist"] = approved.at
        if a.status == AssessmentStatus.REJECTED:
            last = _first(reversed(history), AssessmentStatus.REJECTED)
            journey.stopped_at, journey.reason = "vendor_review", BLOCKED
            journey.detail = last.reason if last else ""
        elif a.status == AssessmentStatus.WITHDRAWN:
            last = _first(reversed(history), AssessmentStatus.WITHDRAWN)
            journey.stopped_at = "shortlist" if approved else "vendor_review"
            journey.reason, journey.detail = WITHDRAWN, last.reason if last else ""
        elif approved is not None and a.status == AssessmentStatus.IN_REVIEW:
            # Approved once, then sent back: its verdicts lapsed or a signed answer changed.
            last = _first(reversed(history), AssessmentStatus.IN_REVIEW)
            journey.stopped_at, journey.reason = "shortlist", EXPIRED
            journey.detail = last.reason if last else ""
        out.append(journey)
    return out


def _pilot_journeys(pilots) -> list[Journey]:
    out = []
    for p in pilots:
        history = list(p.history.all())
        entered = {"pilot_charter": p.created_at}
        journey = Journey("pilot", p.pk, p.title, p.offering.vendor_id, entered)
        for stage, status in (
            ("running", PilotStatus.RUNNING),
            ("checkpoint", PilotStatus.UNDER_REVIEW),
            ("decision", PilotStatus.CLOSED),
        ):
            moved = _first(history, status)
            if moved is None:
                break
            entered[stage] = moved.at
        if p.status == PilotStatus.CLOSED:
            if p.outcome == PilotOutcome.EXPANDED:
                entered["production"] = entered["decision"]
            else:
                last = _first(reversed(history), PilotStatus.CLOSED)
                journey.stopped_at = "decision"
                journey.reason = OUTCOME_REASON.get(p.outcome, p.outcome)
                journey.detail = last.reason if last else ""
        elif p.status == PilotStatus.WITHDRAWN:
            last = _first(reversed(history), PilotStatus.WITHDRAWN)
            journey.stopped_at, journey.reason = "pilot_charter", WITHDRAWN
            journey.detail = last.reason if last else ""
        out.append(journey)
    return out


def funnel_journeys(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    vendor: int | None = None,
    team: int | None = None,
) -> list[Journey]:
    """Every assessment and pilot that entered its first gate in the range (by vendor, team)."""
    if date_from and date_to and date_from > date_to:
        raise ValidationError({"to": "The end date is before the start date."})
    assessments = Assessment.objects.prefetch_related(
        Prefetch("history", queryset=AssessmentTransition.objects.order_by("at", "id"))
    ).select_related("vendor", "offering")
    pilots = Pilot.objects.select_related("offering").prefetch_related(
        Prefetch("history", queryset=PilotTransition.objects.order_by("at", "id"))
    )
    if date_from:
        assessments = assessments.filter(opened_at__date__gte=date_from)
        pilots = pilots.filter(created_at__date__gte=date_from)
    if date_to:
        assessments = assessments.filter(opened_at__date__lte=date_to)
        pilots = pilots.filter(created_at__date__lte=date_to)
    if vendor:
        assessments = assessments.filter(vendor_id=vendor)
        pilots = pilots.filter(offering__vendor_id=vendor)
    if team:
        pilots = pilots.filter(teams=team).distinct()
        # A team reviews no vendor: its funnel starts with the vendors it piloted.
        assessments = assessments.filter(
            vendor_id__in=Pilot.objects.filter(teams=team).values("offering__vendor_id")
        )
    assessments, pilots = list(assessments.order_by("pk")), list(pilots.order_by("pk"))
    journeys = _assessment_journeys(assessments) + _pilot_journeys(pilots)
    # The shortlist gate is passed when a pilot of the vendor is chartered after approval.
    charters: dict[int, list[datetime]] = defaultdict(list)
    for j in journeys:
        if j.kind == "pilot":
            charters[j.vendor_id].append(j.entered["pilot_charter"])
    for j in journeys:
        if j.kind == "assessment" and "shortlist" in j.entered and not j.stopped_at:
            later = [t for t in charters.get(j.vendor_id, ()) if t >= j.entered["shortlist"]]
            if later:
                j.entered["next"] = min(later)
    return journeys


def _next_entry(j: Journey, stage: str) -> datetime | None:
    if j.kind == "assessment" and stage == "shortlist":
        return j.entered.get("next")
    index = STAGE_NAMES.index(stage)
    if index + 1 < len(STAGE_NAMES):
        return j.entered.get(STAGE_NAMES[index + 1])
    return None


def funnel(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    vendor: int | None = None,
    team: int | None = None,
) -> dict:
    """Per gate: entered, stopped (with why), still there, median and p90 days to the next
    gate; and days from a pilot's start to its decision."""
    journeys = funnel_journeys(date_from=date_from, date_to=date_to, vendor=vendor, team=team)
    stages = []
    for stage, label in STAGES:
        inside = [j for j in journeys if stage in j.entered]
        stopped = [j for j in inside if j.stopped_at == stage]
        days = []
        for j in inside:
            after = _next_entry(j, stage)
            if after is not None:
                days.append(_days(j.entered[stage], after))
        reasons: dict[str, int] = defaultdict(int)
        for j in stopped:
            reasons[j.reason] += 1
        stages.append(
            {
                "stage": stage,
                "label": label,
                "entered": len(inside),
                "stopped": len(stopped),
                "passed": len(days),
                "median_days": percentile(days, 50),
                "p90_days": percentile(days, 90),
                "stopped_why": dict(sorted(reasons.items())),
            }
        )
    decided = [
        _days(j.entered["running"], j.entered["decision"])
        for j in journeys
        if "running" in j.entered and "decision" in j.entered
    ]
    return {
        "from": date_from,
        "to": date_to,
        "stages": stages,
        "pilot_to_decision_days": {
            "count": len(decided),
            "median": percentile(decided, 50),
            "p90": percentile(decided, 90),
        },
        "stopped": [
            {
                "kind": j.kind,
                "id": j.id,
                "label": j.label,
                "stage": j.stopped_at,
                "reason": j.reason,
                "detail": j.detail,
            }
            for j in journeys
            if j.stopped_at
        ],
    }

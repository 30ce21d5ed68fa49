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
from django.db.models import Min, Q

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


def _last_reasons(model, key: str, ids: list[int], statuses) -> dict[tuple[int, str], str]:
    """(subject id, status) -> the reason of the subject's latest move to that status."""
    reasons = {}
    for subject_id, to_status, reason in (
        model.objects.filter(**{f"{key}__in": ids}, to_status__in=list(statuses))
        .order_by("at", "id")
        .values_list(key, "to_status", "reason")
    ):
        reasons[(subject_id, to_status)] = reason
    return reasons


A = AssessmentStatus


def _assessment_journeys(assessments) -> list[Journey]:
    rows = list(
        assessments.values(
            "pk", "vendor_id", "vendor__name", "offering__name", "status", "opened_at"
        ).annotate(approved=Min("history__at", filter=Q(history__to_status=A.APPROVED)))
    )
    stopped = [r["pk"] for r in rows if r["status"] != A.APPROVED]
    reasons = _last_reasons(
        AssessmentTransition, "assessment_id", stopped, (A.REJECTED, A.WITHDRAWN, A.IN_REVIEW)
    )
    out = []
    for r in rows:
        entered = {"vendor_review": r["opened_at"]}
        label = f"Assessment #{r['pk']} of {r['offering__name'] or r['vendor__name']}"
        journey = Journey("assessment", r["pk"], label, r["vendor_id"], entered)
        if r["approved"] is not None:
            entered["shortlist"] = r["approved"]
        if r["status"] == A.REJECTED:
            journey.stopped_at, journey.reason = "vendor_review", BLOCKED
        elif r["status"] == A.WITHDRAWN:
            journey.stopped_at = "shortlist" if r["approved"] else "vendor_review"
            journey.reason = WITHDRAWN
        elif r["approved"] is not None and r["status"] == A.IN_REVIEW:
            # Approved once, then sent back: its verdicts lapsed or a signed answer changed.
            journey.stopped_at, journey.reason = "shortlist", EXPIRED
        if journey.stopped_at:
            journey.detail = reasons.get((r["pk"], r["status"]), "")
        out.append(journey)
    return out


STAGE_STATUS = (
    ("running", PilotStatus.RUNNING),
    ("checkpoint", PilotStatus.UNDER_REVIEW),
    ("decision", PilotStatus.CLOSED),
)


def _pilot_journeys(pilots) -> list[Journey]:
    rows = list(
        pilots.values(
            "pk", "title", "status", "outcome", "created_at", "offering__vendor_id"
        ).annotate(
            **{
                stage: Min("history__at", filter=Q(history__to_status=status))
                for stage, status in STAGE_STATUS
            }
        )
    )
    stopped = [
        r["pk"]
        for r in rows
        if r["status"] == PilotStatus.WITHDRAWN
        or (r["status"] == PilotStatus.CLOSED and r["outcome"] != PilotOutcome.EXPANDED)
    ]
    reasons = _last_reasons(
        PilotTransition, "pilot_id", stopped, (PilotStatus.WITHDRAWN, PilotStatus.CLOSED)
    )
    out = []
    for r in rows:
        entered = {"pilot_charter": r["created_at"]}
        journey = Journey("pilot", r["pk"], r["title"], r["offering__vendor_id"], entered)
        for stage, _status in STAGE_STATUS:
            if r[stage] is None:
                break
            entered[stage] = r[stage]
        if r["status"] == PilotStatus.CLOSED:
            if r["outcome"] == PilotOutcome.EXPANDED:
                entered["production"] = entered["decision"]
            else:
                journey.stopped_at = "decision"
                journey.reason = OUTCOME_REASON.get(r["outcome"], r["outcome"])
        elif r["status"] == PilotStatus.WITHDRAWN:
            journey.stopped_at, journey.reason = "pilot_charter", WITHDRAWN
        if journey.stopped_at:
            journey.detail = reasons.get((r["pk"], r["status"]), "")
        out.append(journey)
    return out


def funnel_journeys(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    vendor: int | None = None,
    team: int | None = None,
) -> list[Journey]:
    """Every assessment and pilot that entered its first gate in the range (by vendor, team):
    one row each, with the first time it reached each status read in the same query."""
    if date_from and date_to and date_from > date_to:
        raise ValidationError({"to": "The end date is before the start date."})
    assessments = Assessment.objects.all()
    pilots = Pilot.objects.all()
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
        # A subquery, not a join: a join to the teams would repeat the history rows.
        pilots = pilots.filter(
            pk__in=Pilot.teams.through.objects.filter(team_id=team).values("pilot_id")
        )
        # A team reviews no vendor: its funnel starts with the vendors it piloted.
        assessments = assessments.filter(
            vendor_id__in=Pilot.objects.filter(teams=team).values("offering__vendor_id")
        )
    journeys = _assessment_journeys(assessments.order_by("pk")) + _pilot_journeys(
        pilots.order_by("pk")
    )
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

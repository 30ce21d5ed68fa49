"""What each kind of sign-off packet shows: the one table, and how each kind's facts are read.

A row names the subject model, its template under templates/pdf/, the context builder (the
facts the template prints), the plain-words summary line built from those facts, who may see
it, and whose sign-offs its table lists. A new kind (e.g. the quarterly review) is one row
here, one template, one PacketKind choice.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from governance import roi
from governance.choices import PacketKind, PilotStatus, SubjectKind, Verdict
from governance.models import (
    CheckpointEvaluation,
    Pilot,
    PortfolioSnapshot,
    QuarterlyReview,
    SignOff,
)
from governance.selectors.effects import pilot_effects_report
from governance.selectors.model_switches import pilot_switches
from governance.selectors.pilots import pilot_charts
from governance.selectors.signoffs import SUBJECTS
from governance.selectors.sources import (
    Source,
    assessment_sources,
    charter_sources,
    checkpoint_sources,
    review_sources,
    shortlist_sources,
    sources_changed,
)
from vendors.choices import ResponseStatus, ShortlistStatus
from vendors.kit.canonical import digest
from vendors.models import Assessment, ShortlistVersion
from vendors.selectors.assessments import assessment_gaps, assessment_responses
from vendors.selectors.frameworks import assessment_coverage
from vendors.selectors.shortlist import shortlist_entries, shortlist_violations

R = ResponseStatus


@dataclass(frozen=True)
class PacketKindSpec:
    """How to load, describe and print one kind of packet."""

    model: type[Model]
    template: str
    context: Callable[[Model], dict]
    summary: Callable[[dict], str]
    view_perm: str
    # (sign-off subject kind, signed subject) whose sign-offs the packet's table lists;
    # None for a kind nobody signs (the portfolio is a report, not a gate).
    signed: Callable[[Model], tuple[str, Model]] | None
    canonical: Callable[[Model], dict]
    # Why no packet can be made of this subject yet (None: it can).
    refusal: Callable[[Model], str | None] = lambda subject: None
    select_related: tuple[str, ...] = ()
    # The rows the figures are read from (governance/selectors/sources.py): listed in the
    # packet's appendix with their digests, and compared again on the packet's page.
    sources: Callable[[Model], list[Source]] = lambda subject: []


# --- vendor assessment ---------------------------------------------------------------------


def assessment_context(assessment: Assessment) -> dict:
    """Verdicts per checklist item, evidence files with SHA-256, exceptions, gaps, coverage."""
    responses = list(assessment_responses(assessment))
    mandatory = [r for r in responses if r.item.mandatory]
    exceptions = [(r, x) for r in responses for x in r.active_exceptions]
    return {
        "assessment": assessment,
        "vendor": assessment.vendor,
        "offering": assessment.offering,
        "responses": responses,
        "counts": Counter(r.status for r in responses),
        "mandatory_total": len(mandatory),
        "mandatory_satisfied": sum(r.status == R.SATISFIED for r in mandatory),
        "mandatory_not_applicable": sum(r.status == R.NOT_APPLICABLE for r in mandatory),
        "exceptions": exceptions,
        "gaps": assessment_gaps(assessment),
        "decision": assessment.get_status_display(),
        # Every current framework's requirements as covered, partial, excepted or gap.
        "coverage": assessment_coverage(assessment),
    }


def assessment_summary(facts: dict) -> str:
    """e.g. Approved: 9 of 9 mandatory items satisfied, 1 exception until 2027-03-01."""
    assessment = facts["assessment"]
    parts = [
        f"{facts['mandatory_satisfied']} of {facts['mandatory_total']} mandatory items satisfied"
    ]
    if facts["mandatory_not_applicable"]:
        parts.append(f"{facts['mandatory_not_applicable']} not applicable")
    if facts["exceptions"]:
        until = min(x.expires_on for _, x in facts["exceptions"]).isoformat()
        count = len(facts["exceptions"])
        parts.append(f"{count} exception{'s' if count != 1 else ''} until {until}")
    if facts["gaps"]:
        parts.append(f"{len(facts['gaps'])} blocking gap{'s' if len(facts['gaps']) != 1 else ''}")
    line = f"{facts['decision']}: {', '.join(parts)}"
    if assessment.approved_until:
        line += f"; approval valid until {assessment.approved_until.isoformat()}"
    return line


# --- shortlist version ---------------------------------------------------------------------


def shortlist_context(version: ShortlistVersion) -> dict:
    """The providers, their roles and approved uses, and any policy violation."""
    entries = list(shortlist_entries(version))
    return {
        "version": version,
        "entries": entries,
        "roles": Counter(e.get_role_display() for e in entries),
        "violations": shortlist_violations(version)
        if version.status == ShortlistStatus.DRAFT
        else [],
        "decision": version.get_status_display(),
    }


def shortlist_summary(facts: dict) -> str:
    """e.g. Published: version 3 with 3 providers (2 frontier cloud, 1 open-weights on-prem)."""
    version, entries = facts["version"], facts["entries"]
    roles = ", ".join(f"{n} {role.lower()}" for role, n in sorted(facts["roles"].items()))
    line = f"{facts['decision']}: version {version.number} with {len(entries)} providers"
    line += f" ({roles})" if roles else ""
    if version.published_at:
        line += f", published {version.published_at.date().isoformat()}"
    if facts["violations"]:
        line += f"; {len(facts['violations'])} policy violations"
    return line


# --- pilot charter -------------------------------------------------------------------------


def _svgs(pilot: Pilot) -> list[str]:
    # Built by governance.charts with every text escaped, so safe to inline in the template.
    from django.utils.safestring import mark_safe

    return [mark_safe(svg) for svg in pilot_charts(pilot=pilot)]  # noqa: S308


def pilot_context(pilot: Pilot) -> dict:
    """Scope, baselines, kill criteria, window and checkpoints, charts against baseline."""
    return {
        "pilot": pilot,
        "teams": list(pilot.teams.all()),
        "baselines": list(pilot.baselines.select_related("metric")),
        "kill_criteria": list(pilot.kill_criteria.select_related("metric")),
        "history": list(pilot.history.select_related("actor")),
        "charts": _svgs(pilot),
        "decision": pilot.get_status_display(),
    }


def pilot_summary(facts: dict) -> str:
    """e.g. Approved: 1 team, 1 workflow, 75 days, 4 baselines, 1 kill criterion, 6-month window."""
    pilot = facts["pilot"]

    def n(count: int, word: str, plural: str = "") -> str:
        return f"{count} {word if count == 1 else plural or word + 's'}"

    approved = next((h for h in facts["history"] if h.to_status == PilotStatus.APPROVED), None)
    when = f" on {approved.at.date().isoformat()}" if approved else ""
    return (
        f"{facts['decision']}{when}: {n(len(facts['teams']), 'team')}, "
        f"{n(len(pilot.workflows), 'workflow')}, {pilot.planned_days} days, "
        f"{n(len(facts['baselines']), 'baseline')}, "
        f"{n(len(facts['kill_criteria']), 'kill criterion', 'kill criteria')}, "
        f"{pilot.window_months}-month window"
    )


def pilot_refusal(pilot: Pilot) -> str | None:
    """A charter packet certifies what was pre-committed: only from approval on."""
    if pilot.status in (PilotStatus.DRAFT, PilotStatus.SUBMITTED, PilotStatus.WITHDRAWN):
        return (
            f"{pilot} is {pilot.get_status_display().lower()}; a charter packet is made once "
            "the charter is approved."
        )
    return None


# --- checkpoint evaluation -----------------------------------------------------------------


def checkpoint_canonical(evaluation: CheckpointEvaluation) -> dict:
    """What a checkpoint packet certifies: each criterion's value, baseline and verdict."""
    return {
        "kind": "checkpoint",
        "pilot": evaluation.pilot_id,
        "day": evaluation.checkpoint_day,
        "window": [evaluation.window_start.isoformat(), evaluation.window_end.isoformat()],
        "kill_recommended": evaluation.kill_recommended,
        "results": [
            {
                "criterion": r.criterion.plain_words,
                "value": str(r.value),
                "baseline": str(r.baseline),
                "delta_pct": str(r.delta_pct),
                "verdict": r.verdict,
            }
            for r in evaluation.results.select_related("criterion__metric").order_by("id")
        ],
    }


def checkpoint_context(evaluation: CheckpointEvaluation) -> dict:
    """Per kill criterion: value, baseline, delta, verdict; the charts; the recommendation."""
    results = list(evaluation.results.select_related("criterion__metric").order_by("id"))
    return {
        "evaluation": evaluation,
        "pilot": evaluation.pilot,
        "results": results,
        "verdicts": Counter(r.get_verdict_display() for r in results),
        "breached": sum(r.verdict == Verdict.BREACHED for r in results),
        "charts": _svgs(evaluation.pilot),
        "decision": "Kill recommended" if evaluation.kill_recommended else "Continue",
        # Effects with intervals at this checkpoint (docs/effects.md), from the series as
        # they stand when the packet is rendered.
        "effects": pilot_effects_report(
            pilot=evaluation.pilot, checkpoint=evaluation.checkpoint_day
        ),
        # Model switches in the pilot's window, each metric before and after (as rendered).
        "model_switches": pilot_switches(pilot=evaluation.pilot),
    }


def checkpoint_summary(facts: dict) -> str:
    """e.g. Kill recommended at day 90: 1 of 2 kill criteria breached."""
    evaluation, results = facts["evaluation"], facts["results"]
    line = (
        f"{facts['decision']} at day {evaluation.checkpoint_day}: {facts['breached']} of "
        f"{len(results)} kill criteria breached"
    )
    others = [f"{n} {v.lower()}" for v, n in sorted(facts["verdicts"].items()) if v != "Breached"]
    if others:
        line += f" ({', '.join(others)})"
    if evaluation.kill_recommended:
        line += "; the decision to kill stays with the owner and finance"
    return line


# --- quarterly review ----------------------------------------------------------------------


def review_context(review: QuarterlyReview) -> dict:
    """The decision, its effect, and the snapshot frozen at decision time (ROI, sensitivity,
    metrics against baseline at each checkpoint, spend), with each reviewed pilot's charts."""
    pilot_ids = [p["id"] for p in review.snapshot.get("pilots", [])]
    pilots = Pilot.objects.filter(pk__in=pilot_ids).order_by("pk")
    return {
        "review": review,
        "snapshot": review.snapshot,
        "charts": [(pilot, _svgs(pilot)) for pilot in pilots],
        "decision": review.get_decision_display(),
        "model_switches": [plan for pilot in pilots for plan in pilot_switches(pilot=pilot)],
    }


def review_summary(facts: dict) -> str:
    """e.g. Signed: hold for pilot X in 2027-Q2; audited net return 110.0% of spend (benefit
    2.10x spend), payback 1.5 months; seats +0; annual budget +$40,000.00."""
    from governance.templatetags.money import figure, money

    review = facts["review"]
    outputs = (review.snapshot.get("roi") or {}).get("audited", {}).get("outputs")
    line = (
        f"{review.get_status_display()}: {review.get_decision_display().lower()} for "
        f"{review.subject_label} in {review.quarter}"
    )
    if outputs:
        payback = outputs.get("payback_months")
        if payback is not None:
            payback_text = f"payback {figure(payback, 'payback_months')}"
        elif outputs.get("payback_note") == roi.NOTHING_TO_RECOVER:
            payback_text = "nothing to recover"
        else:
            payback_text = "no payback"
        line += (
            f"; audited net return {figure(outputs['net_roi'], 'net_roi')} of spend (benefit "
            f"{figure(outputs['benefit_multiple'], 'benefit_multiple')} spend), "
        )
        line += payback_text
    else:
        line += "; the audited ROI could not be computed (see the gaps)"
    budget = money(abs(review.budget_delta), review.currency)
    sign = "-" if review.budget_delta < 0 else "+"
    return line + f"; seats {review.seat_delta:+d}; annual budget {sign}{budget}"


# --- finance portfolio ---------------------------------------------------------------------


def _portfolio_sources(snapshot: PortfolioSnapshot) -> list[Source]:
    from governance.selectors import portfolio as ps

    return ps.portfolio_source_list(
        ps.Range(snapshot.date_from, snapshot.date_to, snapshot.currency)
    )


def portfolio_canonical(snapshot: PortfolioSnapshot) -> dict:
    """What a portfolio packet certifies: its range and the digests of the rows it read."""
    return {
        "kind": "portfolio",
        "from": snapshot.date_from.isoformat(),
        "to": snapshot.date_to.isoformat(),
        "currency": snapshot.currency,
        "sources": snapshot.sources,
    }


def portfolio_context(snapshot: PortfolioSnapshot) -> dict:
    """Every figure of the portfolio page for the range, each pilot's row, the spend charts,
    and the appendix of source rows (counts, date ranges, SHA-256) frozen at request time."""
    from django.utils import timezone
    from django.utils.safestring import mark_safe

    from governance.charts import spend_charts
    from governance.selectors import portfolio as ps

    rng = ps.Range(snapshot.date_from, snapshot.date_to, snapshot.currency)
    data = ps.portfolio(rng)
    today = min(timezone.localdate(), rng.date_to)
    pilots = list(ps.pilot_rows(rng))
    # Built by governance.charts with every text escaped, so safe to inline; the same stacked
    # charts as the portfolio page's.
    charts = {
        dimension: mark_safe(svg)  # noqa: S308
        for dimension, svg in spend_charts(data["spend_by"], currency=rng.currency).items()
    }
    return {
        "snapshot": snapshot,
        "rng": rng,
        "data": data,
        "charts": charts,
        # Each dimension's table beside its stacked chart, as on the page.
        "dimensions": [
            (d, d.replace("_", " "), data["spend_by"][d], charts[d]) for d in ps.DIMENSIONS
        ],
        "pilots": ps.pilot_table(rng, pilots, today=today),
        "sources": snapshot.sources,
        "decision": f"{rng.date_from} to {rng.date_to}",
    }


def portfolio_summary(facts: dict) -> str:
    """e.g. 2027-01-01 to 2027-03-31: $48,210.55 of gateway spend, 31.0% on the heavy tier; ..."""
    from governance.templatetags.money import money, percent

    data, rng = facts["data"], facts["rng"]
    spend = sum((t["spend"] for t in data["tiers"]), 0)
    heavy = next((t for t in data["tiers"] if t["tier"] == "heavy"), None)
    line = f"{rng.date_from} to {rng.date_to}: {money(spend, rng.currency)} of gateway spend"
    if heavy and heavy["share_of_spend"] is not None:
        line += f", {percent(heavy['share_of_spend'])} on the heavy tier"
    top = data["top_spenders"][:1]
    if top:
        line += f"; top spender {top[0]['team']}"
    return line + f"; {len(facts['pilots'])} pilots"


PACKET_KINDS: dict[str, PacketKindSpec] = {
    PacketKind.ASSESSMENT: PacketKindSpec(
        model=Assessment,
        template="pdf/assessment.html",
        context=assessment_context,
        summary=assessment_summary,
        view_perm="vendors.view_assessment",
        signed=lambda a: (SubjectKind.ASSESSMENT, a),
        canonical=SUBJECTS[SubjectKind.ASSESSMENT].canonical,
        select_related=("vendor", "offering"),
        sources=assessment_sources,
    ),
    PacketKind.SHORTLIST: PacketKindSpec(
        model=ShortlistVersion,
        template="pdf/shortlist.html",
        context=shortlist_context,
        summary=shortlist_summary,
        view_perm="vendors.view_shortlistversion",
        signed=lambda v: (SubjectKind.SHORTLIST, v),
        canonical=SUBJECTS[SubjectKind.SHORTLIST].canonical,
        sources=shortlist_sources,
    ),
    PacketKind.PILOT_CHARTER: PacketKindSpec(
        model=Pilot,
        template="pdf/pilot_charter.html",
        context=pilot_context,
        summary=pilot_summary,
        view_perm="governance.view_pilot",
        signed=lambda p: (SubjectKind.PILOT, p),
        canonical=SUBJECTS[SubjectKind.PILOT].canonical,
        refusal=pilot_refusal,
        select_related=("owner", "offering__vendor"),
        sources=charter_sources,
    ),
    PacketKind.CHECKPOINT: PacketKindSpec(
        model=CheckpointEvaluation,
        template="pdf/checkpoint.html",
        context=checkpoint_context,
        summary=checkpoint_summary,
        view_perm="governance.view_checkpointevaluation",
        # The checkpoint judges pre-committed criteria: the charter's signers are listed.
        signed=lambda e: (SubjectKind.PILOT, e.pilot),
        canonical=checkpoint_canonical,
        select_related=("pilot__owner", "pilot__offering__vendor"),
        sources=checkpoint_sources,
    ),
    PacketKind.QUARTERLY_REVIEW: PacketKindSpec(
        model=QuarterlyReview,
        template="pdf/quarterly_review.html",
        context=review_context,
        summary=review_summary,
        view_perm="governance.view_quarterlyreview",
        signed=lambda r: (SubjectKind.QUARTERLY_REVIEW, r),
        canonical=SUBJECTS[SubjectKind.QUARTERLY_REVIEW].canonical,
        select_related=("pilot", "offering__vendor", "decided_by", "supersedes"),
        sources=review_sources,
    ),
    PacketKind.PORTFOLIO: PacketKindSpec(
        model=PortfolioSnapshot,
        template="pdf/portfolio.html",
        context=portfolio_context,
        summary=portfolio_summary,
        view_perm="governance.view_portfolio_pilot",
        signed=None,
        canonical=portfolio_canonical,
        select_related=("requested_by",),
        sources=_portfolio_sources,
    ),
}


def packet_source_changes(packet) -> list[dict]:
    """For a ready packet: the groups of rows behind its figures that changed since it was
    rendered (a portfolio packet from before sources were sealed: since it was requested)."""
    from governance.choices import PacketStatus

    if packet.status != PacketStatus.READY:
        return []
    stored = packet.sources
    if not stored and packet.kind == PacketKind.PORTFOLIO:
        snapshot = PortfolioSnapshot.objects.filter(pk=packet.subject_id).first()
        stored = snapshot.sources if snapshot else {}
    subject = packet_subject(packet.kind, packet.subject_id) if stored else None
    if subject is None:
        return []
    return sources_changed(
        stored=stored,
        current=PACKET_KINDS[packet.kind].sources(subject),
        since=packet.rendered_at or packet.requested_at,
    )


def packet_subject(kind: str, subject_id: int) -> Model | None:
    """The subject a packet is about, or None when it no longer exists."""
    spec = PACKET_KINDS[kind]
    return spec.model.objects.select_related(*spec.select_related).filter(pk=subject_id).first()


def signoff_rows(kind: str, subject: Model) -> list[dict[str, Any]]:
    """The sign-off table: every signature of the signed subject, and whether it is current."""
    if PACKET_KINDS[kind].signed is None:
        return []
    signed_kind, signed = PACKET_KINDS[kind].signed(subject)
    current = digest(SUBJECTS[signed_kind].canonical(signed))
    return [
        {"signoff": s, "current": s.digest == current}
        for s in SignOff.objects.filter(subject_kind=signed_kind, subject_id=signed.pk)
        .select_related("user")
        .order_by("signed_at", "id")
    ]

"""Checkpoint evaluation of kill criteria: scheduled daily, also on demand; idempotent."""

from datetime import date, timedelta
from typing import Any

from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from governance import evaluation
from governance.choices import NotificationKind, PilotStatus, Role, Verdict
from governance.models import (
    Baseline,
    CheckpointEvaluation,
    CriterionResult,
    KillCriterion,
    Measurement,
    Pilot,
)
from governance.services.notifications import Notice, notifications_done, notify_all
from governance.services.pilots import pilot_begin_review
from vendors.kit.audit import audit_bulk_create, audited
from vendors.kit.errors import DomainError
from vendors.kit.services import require

EVALUABLE = {PilotStatus.RUNNING, PilotStatus.UNDER_REVIEW}


def _previous_day(pilot: Pilot, day: int) -> int:
    earlier = [d for d in pilot.checkpoint_days if d < day]
    return max(earlier) if earlier else 0


@audited
@transaction.atomic
def checkpoint_evaluate(
    *, pilot: Pilot, checkpoint_day: int, actor: Any = None, today: date | None = None
) -> CheckpointEvaluation:
    """Judge every kill criterion of a pilot at one checkpoint; a second run changes nothing."""
    if actor is not None:
        require(actor, "governance.add_checkpointevaluation", pilot)
    pilot = Pilot.objects.select_for_update().get(pk=pilot.pk)
    existing = CheckpointEvaluation.objects.filter(pilot=pilot, checkpoint_day=checkpoint_day)
    if existing.exists():
        return existing.get()
    today = today or timezone.localdate()
    if pilot.status not in EVALUABLE or pilot.started_on is None:
        raise DomainError(
            f"{pilot} is {pilot.get_status_display().lower()}; only running pilots are evaluated."
        )
    if checkpoint_day not in pilot.checkpoint_days:
        raise DomainError(
            {
                "checkpoint_day": f"{pilot} has checkpoints on days "
                f"{', '.join(map(str, pilot.checkpoint_days))}."
            }
        )
    window_end = pilot.started_on + timedelta(days=checkpoint_day)
    if window_end > today:
        raise DomainError(
            {"checkpoint_day": f"Day {checkpoint_day} is {window_end}; it has not come yet."}
        )
    record, results = _judge(
        pilot,
        checkpoint_day,
        criteria=list(pilot.kill_criteria.select_related("metric")),
        baselines={(b.metric_id, b.tier): b.value for b in pilot.baselines.all()},
        periods=_periods(Measurement.objects.filter(pilot=pilot, period_end__lte=window_end)),
        actor=actor,
    )
    record.save()
    for result in results:
        result.evaluation = record
    CriterionResult.objects.bulk_create(results)
    if record.kill_recommended:
        Pilot.objects.filter(pk=pilot.pk).update(kill_recommended=True)
        notify_all(notices=[_breach_notice(pilot, checkpoint_day, results, _finance())])
    if actor is not None:  # the due reminder is acted on
        notifications_done(user=actor, link=reverse("pilot-page", args=[pilot.pk]))
    if checkpoint_day == max(pilot.checkpoint_days) and pilot.status == PilotStatus.RUNNING:
        pilot_begin_review(
            pilot=pilot, actor=None, reason=f"last checkpoint (day {checkpoint_day}) evaluated"
        )
    return record


def _periods(measurements) -> dict[tuple, list[evaluation.Period]]:
    """Periods by (pilot, metric, tier); plain tuples, no model instances (tens of thousands)."""
    periods: dict[tuple, list[evaluation.Period]] = {}
    for pilot_id, metric_id, tier, start, end, value, size in measurements.values_list(
        "pilot_id", "metric_id", "tier", "period_start", "period_end", "value", "sample_size"
    ):
        periods.setdefault((pilot_id, metric_id, tier), []).append(
            evaluation.Period(start, end, value, size)
        )
    return periods


def _judge(
    pilot: Pilot,
    day: int,
    *,
    criteria: list[KillCriterion],
    baselines: dict[tuple, Any],
    periods: dict[tuple, list[evaluation.Period]],
    actor: Any,
) -> tuple[CheckpointEvaluation, list[CriterionResult]]:
    """The (unsaved) evaluation of one pilot at one checkpoint and its results; no queries."""
    previous = _previous_day(pilot, day)
    record = CheckpointEvaluation(
        pilot=pilot,
        checkpoint_day=day,
        window_start=pilot.started_on + timedelta(days=previous),
        window_end=pilot.started_on + timedelta(days=day),
        evaluated_by=actor,
    )
    results = []
    for criterion in criteria:
        key = (criterion.metric_id, criterion.tier)
        rule = evaluation.Rule(
            comparator=criterion.comparator,
            threshold=criterion.threshold,
            direction=criterion.metric.direction,
            evaluate_from_day=criterion.evaluate_from_day,
            consecutive_periods=criterion.consecutive_periods,
            min_sample_size=criterion.min_sample_size,
            require_clear_breach=criterion.require_clear_breach,
        )
        judgement = evaluation.judge(
            rule,
            started_on=pilot.started_on,
            checkpoint_day=day,
            previous_day=previous,
            baseline=baselines.get(key),
            periods=periods.get((pilot.pk, *key), []),
        )
        results.append(
            CriterionResult(
                criterion=criterion,
                value=judgement.value,
                baseline=baselines.get(key),
                delta_pct=judgement.delta_pct,
                verdict=judgement.verdict,
                periods=judgement.periods,
                too_small=judgement.too_small,
                explanation=judgement.explanation,
            )
        )
    record.kill_recommended = any(r.verdict == Verdict.BREACHED for r in results)
    return record, results


def _finance() -> list[User]:
    return list(User.objects.filter(groups__name=Role.FINANCE, is_active=True))


def _breach_notice(
    pilot: Pilot, day: int, results: list[CriterionResult], finance: list[User]
) -> Notice:
    """Tell the owner and finance; killing stays a human decision."""
    breached = [r for r in results if r.verdict == Verdict.BREACHED]
    lines = "\n".join(f"- {r.criterion.plain_words}: {r.explanation}" for r in breached)
    return Notice(
        users=[pilot.owner, *finance],
        kind=NotificationKind.KILL_CRITERION_BREACHED,
        title=f"Kill recommended for {pilot} at day {day}",
        body=f"At checkpoint day {day}, {len(breached)} kill criterion(s) breached:\n{lines}\n"
        "The decision to kill stays with the pilot's owner and finance.",
        link=reverse("pilot-page", args=[pilot.pk]),
    )


@transaction.atomic
def checkpoints_evaluate_due(*, today: date | None = None) -> list[tuple[int, int]]:
    """Evaluate every checkpoint that has come for running pilots, catching up missed ones.

    Set-based: the same number of queries for 10 or 1,000 due checkpoints (plus, per pilot
    whose last checkpoint this is, its move to review: a once-in-a-pilot event).
    """
    today = today or timezone.localdate()
    # Locked in id order (two sweeps cannot deadlock) against an on-demand evaluation of the
    # same checkpoint, which locks its pilot too.
    running = list(
        Pilot.objects.select_for_update(of=("self",))
        .filter(status=PilotStatus.RUNNING, started_on__isnull=False)
        .select_related("owner")
        .order_by("pk")
    )
    evaluated = set(
        CheckpointEvaluation.objects.filter(pilot__in=running).values_list(
            "pilot_id", "checkpoint_day"
        )
    )
    due = [
        (pilot, day)
        for pilot in running
        for day in sorted(pilot.checkpoint_days)
        if pilot.started_on + timedelta(days=day) <= today and (pilot.pk, day) not in evaluated
    ]
    if not due:
        return []
    pilots = {pilot.pk: pilot for pilot, _ in due}
    criteria: dict[int, list[KillCriterion]] = {}
    for criterion in KillCriterion.objects.filter(pilot__in=pilots).select_related("metric"):
        criteria.setdefault(criterion.pilot_id, []).append(criterion)
    baselines: dict[int, dict[tuple, Any]] = {}
    for pilot_id, metric_id, tier, value in Baseline.objects.filter(pilot__in=pilots).values_list(
        "pilot_id", "metric_id", "tier", "value"
    ):
        baselines.setdefault(pilot_id, {})[(metric_id, tier)] = value
    # Only the series some kill criterion judges, and nothing after the latest window.
    periods = _periods(
        Measurement.objects.filter(
            pilot__in=pilots,
            metric__in={c.metric_id for cs in criteria.values() for c in cs},
            period_end__lte=max(p.started_on + timedelta(days=d) for p, d in due),
        )
    )
    judged = [
        _judge(
            pilot,
            day,
            criteria=criteria.get(pilot.pk, []),
            baselines=baselines.get(pilot.pk, {}),
            periods=periods,
            actor=None,
        )
        for pilot, day in due
    ]
    records = CheckpointEvaluation.objects.bulk_create([record for record, _ in judged])
    for record, results in judged:
        for result in results:
            result.evaluation = record
    CriterionResult.objects.bulk_create([r for _, results in judged for r in results])
    _audit_created(records)
    breached = [(record, results) for record, results in judged if record.kill_recommended]
    if breached:
        Pilot.objects.filter(pk__in={r.pilot_id for r, _ in breached}).update(kill_recommended=True)
        finance = _finance()
        notify_all(
            notices=[
                _breach_notice(record.pilot, record.checkpoint_day, results, finance)
                for record, results in breached
            ]
        )
    for pilot, day in due:
        if day == max(pilot.checkpoint_days):
            pilot_begin_review(
                pilot=pilot, actor=None, reason=f"last checkpoint (day {day}) evaluated"
            )
    return [(pilot.pk, day) for pilot, day in due]


def _audit_created(records: list[CheckpointEvaluation]) -> None:
    """bulk_create skips auditlog's signals: the same create entries, written in one insert."""
    audit_bulk_create(
        (
            record,
            LogEntry.Action.CREATE,
            model_instance_diff(None, record, use_json_for_changes=False),
        )
        for record in records
    )

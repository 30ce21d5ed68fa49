"""Checkpoint evaluation of kill criteria: scheduled daily, also on demand; idempotent."""

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from governance import evaluation
from governance.audit import audited
from governance.choices import NotificationKind, PilotStatus, Verdict
from governance.errors import DomainError
from governance.models import CheckpointEvaluation, CriterionResult, Pilot
from governance.services.notifications import notify
from governance.services.pilots import pilot_begin_review
from vendors.servicekit import require

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
    previous = _previous_day(pilot, checkpoint_day)

    criteria = list(pilot.kill_criteria.select_related("metric"))
    baselines = {(b.metric_id, b.tier): b.value for b in pilot.baselines.all()}
    periods: dict[tuple, list[evaluation.Period]] = {}
    for m in pilot.measurements.filter(period_end__lte=window_end).only(
        "metric_id", "tier", "period_start", "period_end", "value", "sample_size"
    ):
        periods.setdefault((m.metric_id, m.tier), []).append(
            evaluation.Period(m.period_start, m.period_end, m.value, m.sample_size)
        )
    record = CheckpointEvaluation.objects.create(
        pilot=pilot,
        checkpoint_day=checkpoint_day,
        window_start=pilot.started_on + timedelta(days=previous),
        window_end=window_end,
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
        )
        judgement = evaluation.judge(
            rule,
            started_on=pilot.started_on,
            checkpoint_day=checkpoint_day,
            previous_day=previous,
            baseline=baselines.get(key),
            periods=periods.get(key, []),
        )
        results.append(
            CriterionResult(
                evaluation=record,
                criterion=criterion,
                value=judgement.value,
                baseline=baselines.get(key),
                delta_pct=judgement.delta_pct,
                verdict=judgement.verdict,
                periods=judgement.periods,
                explanation=judgement.explanation,
            )
        )
    CriterionResult.objects.bulk_create(results)
    breached = [r for r in results if r.verdict == Verdict.BREACHED]
    if breached:
        record.kill_recommended = True
        record.save(update_fields=["kill_recommended"])
        Pilot.objects.filter(pk=pilot.pk).update(kill_recommended=True)
        _alert_breach(pilot, checkpoint_day, breached)
    if checkpoint_day == max(pilot.checkpoint_days) and pilot.status == PilotStatus.RUNNING:
        pilot_begin_review(
            pilot=pilot, actor=None, reason=f"last checkpoint (day {checkpoint_day}) evaluated"
        )
    return record


def _alert_breach(pilot: Pilot, day: int, breached: list[CriterionResult]) -> None:
    """Tell the owner and finance; killing stays a human decision."""
    finance = User.objects.filter(groups__name="finance", is_active=True)
    lines = "\n".join(f"- {r.criterion.plain_words}: {r.explanation}" for r in breached)
    notify(
        users=[pilot.owner, *finance],
        kind=NotificationKind.KILL_CRITERION_BREACHED,
        title=f"Kill recommended for {pilot} at day {day}",
        body=f"At checkpoint day {day}, {len(breached)} kill criterion(s) breached:\n{lines}\n"
        "The decision to kill stays with the pilot's owner and finance.",
        link=reverse("pilot-page", args=[pilot.pk]),
    )


def checkpoints_evaluate_due(*, today: date | None = None) -> list[tuple[int, int]]:
    """Evaluate every checkpoint that has come for running pilots, catching up missed ones."""
    today = today or timezone.localdate()
    done = []
    running = Pilot.objects.filter(status=PilotStatus.RUNNING, started_on__isnull=False)
    evaluated = set(
        CheckpointEvaluation.objects.filter(pilot__in=running).values_list(
            "pilot_id", "checkpoint_day"
        )
    )
    for pilot in running:
        for day in sorted(pilot.checkpoint_days):
            due = pilot.started_on + timedelta(days=day) <= today
            if due and (pilot.pk, day) not in evaluated:
                checkpoint_evaluate(pilot=pilot, checkpoint_day=day, today=today)
                done.append((pilot.pk, day))
    return done

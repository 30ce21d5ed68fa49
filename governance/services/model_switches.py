"""Model switches found in pilots' gateway traffic, declared on a pilot, or due to a vendor's
deprecation date; each is recorded once (vendors.services.model_switches) and the owners of the
running pilots on the offering are told. docs/model-lifecycle.md explains the rules.
"""

from collections import defaultdict
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from governance.choices import NotificationKind, PilotStatus
from governance.model_switches import detect_switches
from governance.models import GatewayDaily, Pilot, PilotModelVersion
from governance.services.notifications import notify
from vendors.choices import ModelStatus, SwitchSource
from vendors.kit.audit import audited
from vendors.kit.errors import DomainError
from vendors.kit.services import require, save_validated
from vendors.models import ModelRollback, ModelSwitch, ModelVersion, Offering
from vendors.services.model_switches import model_switch_record

# Pilots whose teams still run the offering, so a switch changes what they measure.
IN_USE = (PilotStatus.RUNNING, PilotStatus.UNDER_REVIEW)


def model_switch_open(
    *,
    offering: Offering,
    from_version: ModelVersion,
    to_version: ModelVersion,
    detected_on: date,
    detected_from: str,
    detail: str,
    actor: Any = None,
) -> ModelSwitch:
    """Record a switch once; the first time, tell the owners of pilots running the offering."""
    switch, created = model_switch_record(
        offering=offering,
        from_version=from_version,
        to_version=to_version,
        detected_on=detected_on,
        detected_from=detected_from,
        detail=detail,
        actor=actor,
    )
    if created:
        pilots = Pilot.objects.filter(offering=offering, status__in=IN_USE).select_related("owner")
        for pilot in pilots:
            notify(
                users=[pilot.owner],
                kind=NotificationKind.MODEL_SWITCH,
                title=f"{pilot.title}: model switched to {to_version}",
                body=f"{detail}. Every metric of the pilot is compared before and after "
                f"{detected_on} on the pilot page, and the model-dependent checklist items of "
                f"{offering.vendor} need review again.",
                link=reverse("pilot-page", kwargs={"pk": pilot.pk}),
            )
    return switch


def _rolled_back_pairs() -> set[tuple[int, int]]:
    # Traffic moving to a rollback target is the rollback itself, decided and audited already.
    return set(ModelRollback.objects.values_list("model_version_id", "target_id"))


@transaction.atomic
def model_switches_detect(*, threshold: float | None = None) -> list[ModelSwitch]:
    """Find switches in the daily gateway roll-ups of pilots in use, from each one's start;
    record the new ones. Safe to run after every import: a switch is recorded once."""
    threshold = threshold or settings.TOLLGATE_MODEL_SWITCH_SHARE
    pilots = list(
        Pilot.objects.filter(status__in=IN_USE, started_on__isnull=False)
        .select_related("offering")
        .prefetch_related("teams")
    )
    if not pilots:
        return []
    team_pilots: dict[int, list[Pilot]] = defaultdict(list)
    for pilot in pilots:
        for team in pilot.teams.all():
            team_pilots[team.pk].append(pilot)
    # One read for every pilot: (pilot, family) -> [(day, version, requests)].
    series: dict[tuple[int, str], list] = defaultdict(list)
    for team_id, day, version_id, vendor_id, family, requests in GatewayDaily.objects.filter(
        team_id__in=list(team_pilots),
        day__gte=min(p.started_on for p in pilots),
        model_version__isnull=False,
    ).values_list(
        "team_id",
        "day",
        "model_version_id",
        "model_version__vendor_id",
        "model_version__family",
        "requests",
    ):
        for pilot in team_pilots[team_id]:
            if vendor_id == pilot.offering.vendor_id and day >= pilot.started_on:
                series[(pilot.pk, family)].append((day, version_id, requests))
    by_pk = {p.pk: p for p in pilots}
    skip = _rolled_back_pairs()
    found = []
    for (pilot_id, family), daily in sorted(series.items()):
        for hit in detect_switches(daily, threshold=threshold):
            if (hit.from_version, hit.to_version) in skip:
                continue
            found.append((by_pk[pilot_id], family, hit))
    versions = ModelVersion.objects.in_bulk(
        {h.from_version for _, _, h in found} | {h.to_version for _, _, h in found}
    )
    switches = []
    for pilot, family, hit in found:
        switches.append(
            model_switch_open(
                offering=pilot.offering,
                from_version=versions[hit.from_version],
                to_version=versions[hit.to_version],
                detected_on=hit.day,
                detected_from=SwitchSource.GATEWAY,
                detail=f"{versions[hit.to_version]} served {hit.share:.0%} of the {family} "
                f"requests of {pilot.title} on {hit.day} (threshold {threshold:.0%})",
            )
        )
    return switches


@audited
@transaction.atomic
def pilot_model_declare(
    *, pilot: Pilot, model_version: ModelVersion, since: date, actor: Any, note: str = ""
) -> PilotModelVersion:
    """Declare the version a pilot's teams run from a day on (no gateway says so); a change
    from the version declared before is a switch."""
    require(actor, "governance.add_pilotmodelversion")
    pilot = Pilot.objects.select_for_update().select_related("offering__vendor").get(pk=pilot.pk)
    if model_version.vendor_id != pilot.offering.vendor_id:
        raise DomainError(
            {"model_version": f"{model_version} is not a model of {pilot.offering.vendor}."}
        )
    previous = (
        pilot.declared_versions.filter(since__lt=since).select_related("model_version").last()
    )
    declared = save_validated(
        PilotModelVersion(
            pilot=pilot, model_version=model_version, since=since, note=note, declared_by=actor
        )
    )
    if previous is not None and previous.model_version_id != model_version.pk:
        model_switch_open(
            offering=pilot.offering,
            from_version=previous.model_version,
            to_version=model_version,
            detected_on=since,
            detected_from=SwitchSource.DECLARED,
            detail=f"{actor} declared that {pilot.title} runs {model_version} from {since} "
            f"(was {previous.model_version})" + (f": {note}" if note else ""),
            actor=actor,
        )
    return declared


def _successor(version: ModelVersion) -> ModelVersion | None:
    """The approved version that replaces a deprecated one: one naming it as rollback target,
    else the family's newest approved version released after it."""
    later = ModelVersion.objects.filter(
        Q(rollback_target=version) | Q(released_on__gt=version.released_on),
        vendor_id=version.vendor_id,
        family=version.family,
        status=ModelStatus.APPROVED,
    ).exclude(pk=version.pk)
    named = [v for v in later if v.rollback_target_id == version.pk]
    pool = named or list(later)
    return max(pool, key=lambda v: (v.released_on, v.pk)) if pool else None


def model_switches_from_deprecations(*, today: date | None = None) -> list[ModelSwitch]:
    """Daily: a version past its vendor's deprecation date switches every offering of the
    vendor that pilots use to its successor (recorded once)."""
    today = today or timezone.localdate()
    switches = []
    deprecated = ModelVersion.objects.filter(deprecated_on__lte=today).select_related("vendor")
    for version in deprecated:
        successor = _successor(version)
        if successor is None:
            continue
        offerings = Offering.objects.filter(
            vendor_id=version.vendor_id, pilots__status__in=IN_USE
        ).distinct()
        for offering in offerings:
            switches.append(
                model_switch_open(
                    offering=offering,
                    from_version=version,
                    to_version=successor,
                    detected_on=version.deprecated_on,
                    detected_from=SwitchSource.DEPRECATION,
                    detail=f"{version.vendor} deprecated {version} on {version.deprecated_on}; "
                    f"{successor} replaces it",
                )
            )
    return switches

"""Reads of the approved-provider shortlist: policy, entry health, the gateway's check, diffs."""

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from vendors.choices import (
    AppliesTo,
    AssessmentStatus,
    HostingModel,
    ModelStatus,
    ProviderRole,
    RereviewStatus,
    ShortlistStatus,
    Use,
    VendorStatus,
)
from vendors.models import (
    Assessment,
    ChecklistItem,
    ModelSwitch,
    ModelVersion,
    ShortlistEntry,
    ShortlistVersion,
    SubProcessorChange,
    Vendor,
)


def shortlist_published() -> ShortlistVersion | None:
    """The published shortlist version, if any."""
    return ShortlistVersion.objects.filter(status=ShortlistStatus.PUBLISHED).first()


def shortlist_versions_visible(*, user, versions: QuerySet) -> QuerySet[ShortlistVersion]:
    """Drafts are read by the roles that follow the shortlist; a service account (a gateway's
    shortlist:read token, which holds no role) reads only versions that were published, so a
    draft nobody signed can never steer traffic."""
    if user.has_perm("vendors.view_shortlistversion"):
        return versions
    return versions.filter(published_at__isnull=False)


def shortlist_entries(version: ShortlistVersion) -> QuerySet[ShortlistEntry]:
    """A version's entries with vendor and offering loaded (prefetched for a list of versions
    by shortlist_canonical_prefetch, else one query)."""
    if "entries" in getattr(version, "_prefetched_objects_cache", {}):
        return version.entries.all()
    return version.entries.select_related("vendor", "offering").order_by(
        "vendor__name", "offering__name"
    )


def shortlist_canonical_prefetch() -> Prefetch:
    """What shortlist_canonical reads, for many versions at once (in the database's order)."""
    return Prefetch(
        "entries",
        queryset=ShortlistEntry.objects.select_related("vendor", "offering").order_by(
            "vendor__name", "offering__name"
        ),
    )


def vendor_approval_problems(vendor: Vendor, *, today: date) -> list[str]:
    """Why a vendor does not count as approved today (empty when it does)."""
    if vendor.status != VendorStatus.APPROVED:
        return [f"{vendor.name} is not approved (status: {vendor.get_status_display().lower()})."]
    if vendor.approved_until is None or vendor.approved_until < today:
        return [f"{vendor.name}'s approval lapsed on {vendor.approved_until}."]
    return []


def _agentic_items() -> set[str]:
    return set(
        ChecklistItem.objects.filter(active=True, applies_to=AppliesTo.AGENTIC).values_list(
            "code", flat=True
        )
    )


def agentic_coverage_problems(entry: ShortlistEntry, *, today: date) -> list[str]:
    """Why an entry may not be used agentically: no approved review covered the agentic items."""
    needed = _agentic_items()
    # A vendor-wide review counts for every offering; an offering's own review for itself.
    scope = Q(offering__isnull=True)
    if entry.offering_id:
        scope |= Q(offering_id=entry.offering_id)
    assessments = Assessment.objects.filter(
        scope, vendor=entry.vendor, status=AssessmentStatus.APPROVED, approved_until__gte=today
    )
    for assessment in assessments:
        covered = set(assessment.responses.values_list("item__code", flat=True))
        if needed <= covered:
            return []
    return [
        f"{entry} is approved for agentic use, but no approved assessment covered the agentic "
        f"checklist items ({', '.join(sorted(needed))})."
    ]


def entry_problems(entry: ShortlistEntry, *, today: date) -> list[str]:
    """Why an entry is suspended today (empty when it is in force)."""
    problems = vendor_approval_problems(entry.vendor, today=today)
    if not problems and entry.allow_agentic:
        problems += agentic_coverage_problems(entry, today=today)
    return problems


def shortlist_violations(version: ShortlistVersion, *, today: date | None = None) -> list[str]:
    """Every policy violation of a version, by name; publishing needs none."""
    today = today or timezone.localdate()
    entries = list(shortlist_entries(version))
    violations = []
    providers = {e.vendor_id for e in entries}
    low = settings.TOLLGATE_SHORTLIST_MIN_PROVIDERS
    high = settings.TOLLGATE_SHORTLIST_MAX_PROVIDERS
    if len(providers) < low:
        violations.append(f"The shortlist has {len(providers)} providers; at least {low} needed.")
    if len(providers) > high:
        violations.append(f"The shortlist has {len(providers)} providers; at most {high} allowed.")
    on_prem = [e for e in entries if e.role == ProviderRole.OPEN_WEIGHTS_ON_PREM]
    if settings.TOLLGATE_SHORTLIST_REQUIRE_ON_PREM and not on_prem:
        violations.append("The shortlist has no open-weights on-prem provider.")
    for entry in entries:
        if entry.role == ProviderRole.OPEN_WEIGHTS_ON_PREM and (
            entry.vendor.hosting_model != HostingModel.ON_PREM
        ):
            violations.append(
                f"{entry} is listed as open-weights on-prem but is hosted as "
                f"{entry.vendor.get_hosting_model_display()}."
            )
        violations += entry_problems(entry, today=today)
    return violations


def shortlist_canonical(version: ShortlistVersion) -> dict:
    """The content a shortlist sign-off covers."""
    return {
        "kind": "shortlist",
        "number": version.number,
        "entries": [
            {
                "vendor": e.vendor.slug,
                "offering": e.offering.name if e.offering_id else None,
                "role": e.role,
                "uses": e.uses,
                "notes": e.notes,
            }
            for e in shortlist_entries(version)
        ],
    }


def _entry_key(entry: ShortlistEntry) -> tuple[str, str]:
    return (entry.vendor.name, entry.offering.name if entry.offering_id else "")


@dataclass(frozen=True)
class EntryChange:
    """One line of a diff between two shortlist versions."""

    change: str  # added / removed / changed
    provider: str
    details: str


def shortlist_diff(old: ShortlistVersion, new: ShortlistVersion) -> list[EntryChange]:
    """What changed from one version to another, provider by provider."""
    before = {_entry_key(e): e for e in shortlist_entries(old)}
    after = {_entry_key(e): e for e in shortlist_entries(new)}
    changes = []
    for key in sorted(before.keys() | after.keys()):
        name = " / ".join(k for k in key if k)
        a, b = before.get(key), after.get(key)
        if a is None:
            uses = ", ".join(b.uses)
            changes.append(EntryChange("added", name, f"{b.get_role_display()}, {uses}"))
        elif b is None:
            changes.append(EntryChange("removed", name, f"was {a.get_role_display()}"))
        else:
            diffs = []
            if a.role != b.role:
                diffs.append(f"role {a.get_role_display()} → {b.get_role_display()}")
            if a.uses != b.uses:
                diffs.append(f"uses {', '.join(a.uses)} → {', '.join(b.uses)}")
            if a.notes != b.notes:
                diffs.append("notes changed")
            if diffs:
                changes.append(EntryChange("changed", name, "; ".join(diffs)))
    return changes


@dataclass(frozen=True)
class CheckResult:
    """The gateway's answer."""

    allowed: bool
    reasons: list[str]
    shortlist_version: int | None
    valid_until: date | None
    rollback_target: str | None = None


def _switch_reason(switch: ModelSwitch) -> str:
    codes = sorted({r.item.code for r in switch.reopened.all()}) or ["none reopened"]
    return (
        f"Model switch {switch.from_version} → {switch.to_version} on {switch.detected_on} "
        f"({switch.offering.name}): re-review of {', '.join(codes)} awaits judging and signing."
    )


def model_refusal(
    vendor: Vendor, model: str, *, today: date
) -> tuple[list[str], date | None, str | None]:
    """Why the gateway may not route to this model today, the last day it may (by its
    deprecation date), and the version to use instead when it was rolled back."""
    family, _, version = model.partition(":")
    found = (
        ModelVersion.objects.filter(vendor=vendor, family=family, version=version)
        .select_related("rollback__target", "rollback__decided_by")
        .first()
    )
    if found is None:
        return [f"{vendor.name} has no model {model} in the catalog."], None, None
    rollback = getattr(found, "rollback", None)
    if rollback is not None:
        return (
            [
                f"Model {model} was rolled back on {rollback.decided_at.date()} by "
                f"{rollback.decided_by}: {rollback.reason.rstrip('.')}. Use {rollback.target} "
                "instead."
            ],
            None,
            str(rollback.target),
        )
    switches = list(
        ModelSwitch.objects.filter(to_version=found, status=RereviewStatus.OPEN)
        .select_related("offering", "from_version", "to_version")
        .prefetch_related("reopened__item")
    )
    if switches:
        return [_switch_reason(s) for s in switches], None, None
    problems, last_day = _model_problems(found, model, today=today)
    return problems, last_day, None


def _model_problems(
    found: ModelVersion, model: str, *, today: date
) -> tuple[list[str], date | None]:
    if found.status == ModelStatus.DEPRECATED or (
        found.deprecated_on is not None and found.deprecated_on <= today
    ):
        return [f"Model {model} is deprecated (since {found.deprecated_on or 'unknown'})."], None
    if found.status != ModelStatus.APPROVED:
        return [f"Model {model} is not approved ({found.get_status_display().lower()})."], None
    last_day = found.deprecated_on - timedelta(days=1) if found.deprecated_on else None
    return [], last_day


def shortlist_check(
    *,
    vendor_slug: str,
    use: str,
    model: str | None = None,
    offering_id: int | None = None,
    today: date | None = None,
) -> CheckResult:
    """The gateway's answer, plus every unsettled sub-processor change and model switch of
    the vendor.

    A change to where the vendor sends data, or to the model behind an offering, stays in the
    reasons until a reviewer settles it.
    """
    result = _shortlist_check(
        vendor_slug=vendor_slug, use=use, model=model, offering_id=offering_id, today=today
    )
    pending = list(
        SubProcessorChange.objects.filter(vendor__slug=vendor_slug, settled_at__isnull=True)
        .order_by("detected_at", "id")
        .values_list("detail", flat=True)
    )
    reasons = [f"Sub-processor change awaiting review: {detail}." for detail in pending]
    # A question naming the switched-to model already carries the switch as its refusal.
    switches = (
        ModelSwitch.objects.filter(offering__vendor__slug=vendor_slug, status=RereviewStatus.OPEN)
        .select_related("offering", "from_version", "to_version")
        .prefetch_related("reopened__item")
        .order_by("detected_on", "id")
    )
    reasons += [_switch_reason(s) for s in switches if _switch_reason(s) not in result.reasons]
    if not reasons:
        return result
    return replace(result, reasons=[*result.reasons, *reasons])


def _shortlist_check(
    *,
    vendor_slug: str,
    use: str,
    model: str | None = None,
    offering_id: int | None = None,
    today: date | None = None,
) -> CheckResult:
    """May this vendor (or one of its offerings) be used for this use (and model) today, and why.

    A vendor-wide entry covers all of the vendor's offerings; an offering's entry covers it alone.
    """
    today = today or timezone.localdate()
    version = shortlist_published()
    if version is None:
        return CheckResult(False, ["No shortlist is published."], None, None)
    number = version.number
    vendor = Vendor.objects.filter(slug=vendor_slug).first()
    if vendor is None:
        return CheckResult(False, [f"Unknown vendor '{vendor_slug}'."], number, None)
    entries = list(shortlist_entries(version).filter(vendor=vendor))
    if offering_id is not None:
        entries = [e for e in entries if e.offering_id in (None, offering_id)]
    if not entries:
        return CheckResult(False, [f"{vendor.name} is not on shortlist v{number}."], number, None)
    usable = [e for e in entries if (e.allow_agentic if use == Use.AGENTIC else e.allow_completion)]
    if not usable:
        return CheckResult(
            False,
            [f"{vendor.name} is on shortlist v{number} but not approved for {use} use."],
            number,
            None,
        )
    # The first entry in force decides; otherwise every suspension reason is reported.
    problems: list[str] = []
    for entry in usable:
        entry_issues = entry_problems(entry, today=today)
        if not entry_issues:
            break
        problems += [f"Suspended: {p}" for p in entry_issues]
    else:
        return CheckResult(False, problems, number, None)
    valid_until = vendor.approved_until
    reasons = [
        f"{entry} is on shortlist v{number} as {entry.get_role_display().lower()} for {use} use.",
        f"{vendor.name} is approved until {vendor.approved_until}.",
    ]
    if model:
        model_issues, last_day, rollback_target = model_refusal(vendor, model, today=today)
        if model_issues:
            return CheckResult(False, model_issues, number, None, rollback_target)
        reasons.append(f"Model {model} is approved.")
        if last_day is not None:
            valid_until = min(valid_until, last_day)
    return CheckResult(True, reasons, number, valid_until)

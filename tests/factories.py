"""factory_boy factories shared by the suite."""

import hashlib
from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile

from vendors.choices import HostingModel
from vendors.models import ShortlistVersion, Vendor

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A user; pass role="security" (etc.) to put them in that role's group."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class VendorFactory(factory.django.DjangoModelFactory):
    """A cloud vendor."""

    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.Sequence(lambda n: f"vendor-{n}")
    hosting_model = HostingModel.CLOUD_API
    data_regions = factory.LazyFunction(lambda: ["eu-west-1"])


class OfferingFactory(factory.django.DjangoModelFactory):
    """A non-agentic IDE assistant."""

    class Meta:
        model = "vendors.Offering"

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Assistant {n}")
    kind = "ide_assistant"
    agentic = False
    seat_price = Decimal("19.00")
    currency = "USD"


class ModelVersionFactory(factory.django.DjangoModelFactory):
    """A standard-tier model version released 2026-01-01."""

    class Meta:
        model = "vendors.ModelVersion"

    vendor = factory.SubFactory(VendorFactory)
    family = "coder"
    version = factory.Sequence(lambda n: f"1.{n}")
    tier = "standard"
    price_input_per_mtok = Decimal("3.00")
    price_cached_input_per_mtok = Decimal("0.30")
    price_output_per_mtok = Decimal("15.00")
    released_on = date(2026, 1, 1)


def make_pdf(name: str = "contract.pdf", body: bytes = b"evidence") -> SimpleUploadedFile:
    """A small file that passes the PDF content check."""
    return SimpleUploadedFile(name, b"%PDF-1.7\n" + body + b"\n%%EOF\n", "application/pdf")


class TeamFactory(factory.django.DjangoModelFactory):
    """An engineering team of eight."""

    class Meta:
        model = "governance.Team"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    cost_centre = factory.Sequence(lambda n: f"CC-{1000 + n}")
    headcount = 8


def approved_vendor(
    *, name: str, security, legal, hosting: str = "cloud_api", offering_kwargs=None
) -> "Vendor":
    """A vendor approved by a complete, signed assessment, written as rows directly.

    The state equals what open -> evidence -> verdicts -> sign-offs -> approve leaves, history
    rows included (tests/vendors/test_world_builders.py holds the two side by side), at a
    tenth of the queries; the audit-trail entries are not written. The service path itself is
    tested end to end in tests/vendors/test_assessments.py.
    """
    from datetime import timedelta

    from django.utils import timezone

    from governance.choices import Role, SubjectKind
    from vendors.choices import AssessmentStatus, ResponseStatus, VendorStatus
    from vendors.models import (
        Assessment,
        AssessmentTransition,
        Evidence,
        Response,
        ResponseTransition,
        VendorTransition,
    )
    from vendors.selectors.assessments import applicable_items, assessment_digest

    vendor = VendorFactory(name=name, slug=name.lower(), hosting_model=hosting)
    offering = OfferingFactory(vendor=vendor, **offering_kwargs) if offering_kwargs else None
    assessment = Assessment.objects.create(vendor=vendor, offering=offering, opened_by=security)
    now, today = timezone.now(), timezone.localdate()
    owners = {Role.SECURITY: security, Role.LEGAL: legal}
    items = list(applicable_items(vendor=vendor, offering=offering))
    responses = Response.objects.bulk_create(
        Response(
            assessment=assessment,
            item=item,
            status=ResponseStatus.SATISFIED,
            verdict_by=owners.get(item.owner_role, security),
            verdict_at=now,
            expires_on=today + timedelta(days=item.rereview_days),
        )
        for item in items
    )
    ResponseTransition.objects.bulk_create(
        ResponseTransition(
            response=response,
            from_status=ResponseStatus.OPEN,
            to_status=ResponseStatus.SATISFIED,
            actor=response.verdict_by,
        )
        for response in responses
    )
    for response in responses:
        if response.item.evidence_required:
            upload = make_pdf(f"{response.item.code}.pdf", response.item.code.encode())
            evidence = Evidence(
                response=response,
                original_name=upload.name,
                kind="pdf",
                size=upload.size,
                sha256=hashlib.sha256(upload.read()).hexdigest(),
                uploaded_by=owners.get(response.item.owner_role, security),
            )
            upload.seek(0)
            evidence.file.save(upload.name, upload, save=False)
            evidence.save()
    digest = assessment_digest(assessment)
    until = min(r.expires_on for r in responses)
    approve_signoffs(SubjectKind.ASSESSMENT, assessment.pk, digest, owners)
    Assessment.objects.filter(pk=assessment.pk).update(
        status=AssessmentStatus.APPROVED,
        approved_at=now,
        approved_until=until,
        approved_digest=digest,
    )
    AssessmentTransition.objects.create(
        assessment=assessment,
        from_status=AssessmentStatus.IN_REVIEW,
        to_status=AssessmentStatus.APPROVED,
        actor=security,
        reason=f"approved until {until}",
    )
    VendorTransition.objects.bulk_create(
        [
            VendorTransition(
                vendor=vendor,
                from_status=VendorStatus.PROSPECT,
                to_status=VendorStatus.UNDER_REVIEW,
                actor=security,
                reason=f"{assessment} opened",
            ),
            VendorTransition(
                vendor=vendor,
                from_status=VendorStatus.UNDER_REVIEW,
                to_status=VendorStatus.APPROVED,
                actor=security,
                reason=f"{assessment} approved",
            ),
        ]
    )
    Vendor.objects.filter(pk=vendor.pk).update(status=VendorStatus.APPROVED, approved_until=until)
    vendor.refresh_from_db()
    return vendor


def published_shortlist(*, entries: list[tuple], security, legal) -> "ShortlistVersion":
    """Shortlist v1 with (vendor, role) entries, signed and published, written as rows directly.

    Equal to draft -> entries -> sign-offs -> publish through the services (a test in
    tests/vendors/test_world_builders.py holds the two side by side).
    """
    from django.utils import timezone

    from governance.choices import Role, SubjectKind
    from vendors.choices import ShortlistStatus
    from vendors.kit.canonical import digest
    from vendors.models import ShortlistEntry, ShortlistTransition, ShortlistVersion
    from vendors.selectors.shortlist import shortlist_canonical

    version = ShortlistVersion.objects.create(number=1, created_by=security)
    ShortlistEntry.objects.bulk_create(
        ShortlistEntry(version=version, vendor=vendor, role=role) for vendor, role in entries
    )
    signed = digest(shortlist_canonical(version))
    approve_signoffs(
        SubjectKind.SHORTLIST, version.pk, signed, {Role.SECURITY: security, Role.LEGAL: legal}
    )
    ShortlistVersion.objects.filter(pk=version.pk).update(
        status=ShortlistStatus.PUBLISHED, published_at=timezone.now(), published_digest=signed
    )
    ShortlistTransition.objects.create(
        version=version,
        from_status=ShortlistStatus.DRAFT,
        to_status=ShortlistStatus.PUBLISHED,
        actor=security,
        reason="published",
    )
    version.refresh_from_db()
    return version


# A pilot's charter as the suite records it: the four core baselines and one kill criterion.
CORE_BASELINES = (
    ("cycle-time", "standard", "30.5", 120),
    ("defect-escape-rate", "", "0.12", 80),
    ("reviewer-load", "", "42", 80),
    ("feature-throughput", "", "21", 80),
)
BASELINE_PERIOD = (date(2026, 9, 1), date(2026, 11, 30))


def charter_rows(pilot, *, actor, metrics: dict):
    """The core baselines and one kill criterion of a draft pilot, written as rows directly.

    Equal to baseline_set and kill_criterion_add through the services (held side by side in
    tests/governance/test_world_builders.py).
    """
    from governance.models import Baseline, KillCriterion

    Baseline.objects.bulk_create(
        Baseline(
            pilot=pilot,
            metric=metrics[code],
            tier=tier,
            value=Decimal(value),
            sample_size=size,
            period_start=BASELINE_PERIOD[0],
            period_end=BASELINE_PERIOD[1],
            recorded_by=actor,
        )
        for code, tier, value, size in CORE_BASELINES
    )
    KillCriterion.objects.create(
        pilot=pilot,
        metric=metrics["reviewer-load"],
        comparator="worse_pct",
        threshold=Decimal(20),
        evaluate_from_day=60,
    )
    return pilot


def advance_pilot(pilot, *, to: str, owner, signers: dict, approver, started_on=None):
    """Move a complete draft to submitted, approved or running, written as rows directly:
    the history rows, the charter sign-offs on its digest and the frozen charter digest.

    Equal to pilot_submit, signoff_record, pilot_approve and pilot_start through the services
    (held side by side in tests/governance/test_world_builders.py).
    """
    from governance.choices import PilotStatus, SubjectKind
    from governance.models import Pilot, PilotTransition
    from governance.selectors.signoffs import subject_digest

    steps = [(PilotStatus.DRAFT, PilotStatus.SUBMITTED, owner)]
    if to in (PilotStatus.APPROVED, PilotStatus.RUNNING):
        steps.append((PilotStatus.SUBMITTED, PilotStatus.APPROVED, approver))
    if to == PilotStatus.RUNNING:
        steps.append((PilotStatus.APPROVED, PilotStatus.RUNNING, None))
    signed = subject_digest(kind=SubjectKind.PILOT, subject=pilot)
    if len(steps) > 1:
        approve_signoffs(SubjectKind.PILOT, pilot.pk, signed, signers)
    PilotTransition.objects.bulk_create(
        PilotTransition(pilot=pilot, from_status=a, to_status=b, actor=actor)
        for a, b, actor in steps
    )
    updates = {"status": to}
    if len(steps) > 1:
        updates["charter_digest"] = signed
    if to == PilotStatus.RUNNING:
        updates["started_on"] = started_on or pilot.planned_start
    Pilot.objects.filter(pk=pilot.pk).update(**updates)
    pilot.refresh_from_db()
    return pilot


def approve_signoffs(kind: str, subject_id: int, digest: str, signers: dict) -> None:
    """An approve sign-off per {role: user} on the given digest, written as rows directly."""
    from governance.choices import Decision
    from governance.models import SignOff

    SignOff.objects.bulk_create(
        SignOff(
            subject_kind=kind,
            subject_id=subject_id,
            role=role,
            user=user,
            decision=Decision.APPROVE,
            digest=digest,
        )
        for role, user in signers.items()
    )

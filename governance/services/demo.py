"""Demo data for seed_demo: realistic, idempotent, written through the services."""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.utils import timezone

from governance.choices import (
    Decision,
    PilotStatus,
    ReviewDecision,
    ReviewStatus,
    Role,
    Source,
    SubjectKind,
)
from governance.services.signoffs import assessment_approve, shortlist_publish, signoff_record
from vendors.choices import (
    AssessmentStatus,
    ModelStatus,
    ResponseStatus,
    ShortlistStatus,
    SubProcessorChangeKind,
)
from vendors.models import Questionnaire, Response, ShortlistVersion, Vendor
from vendors.services.assessments import (
    assessment_open,
    evidence_add,
    exception_grant,
    response_set_verdict,
)
from vendors.services.questionnaires import (
    answer_attach_file,
    answer_propose,
    questionnaire_send,
)
from vendors.services.registry import (
    model_version_create,
    model_version_update,
    offering_create,
    vendor_create,
)
from vendors.services.shortlist import shortlist_draft_create, shortlist_entry_add
from vendors.services.subprocessors import subprocessor_change_settle, subprocessors_import
from vendors.subprocessor_files import SubProcessorRow

# slug: (name, hosting, regions, offerings, models)
# offerings: (name, kind, agentic, seat price); models: (family, version, tier, in, cached, out,
# released, days to adopt or None)
VENDORS = {
    "helix": (
        "Helix Frontier",
        "cloud_api",
        ["eu-west", "us-east"],
        [
            ("Helix Code", "ide_assistant", False, "39.00"),
            ("Helix Agent", "coding_agent", True, None),
        ],
        [
            ("helix-swift", "3.1", "fast", "0.25", "0.03", "1.25", date(2026, 5, 4), 9),
            ("helix-core", "3.5", "standard", "3.00", "0.30", "15.00", date(2026, 6, 2), 21),
            ("helix-max", "3.5", "heavy", "15.00", "1.50", "75.00", date(2026, 6, 2), 35),
            ("helix-core", "3.0", "standard", "3.00", "0.30", "15.00", date(2025, 11, 20), 28),
        ],
    ),
    "cirrus": (
        "Cirrus Code",
        "cloud_api",
        ["eu-central"],
        [("Cirrus Assist", "ide_assistant", False, "29.00")],
        [
            ("cirrus-mini", "2.0", "fast", "0.15", "0.04", "0.60", date(2026, 4, 15), 14),
            ("cirrus", "2.0", "standard", "2.50", "0.63", "10.00", date(2026, 4, 15), 30),
            ("cirrus-pro", "2.0", "heavy", "20.00", "5.00", "80.00", date(2026, 7, 1), 45),
        ],
    ),
    "meridian": (
        "Meridian Open Models",
        "on_prem",
        ["on-prem-dc1"],
        [("Meridian Coder (self-hosted)", "self_hosted_model", False, None)],
        [
            # Amortised GPU cost per 1M tokens on the internal cluster.
            ("meridian-coder", "33b", "standard", "0.40", "0.10", "0.40", date(2026, 3, 10), 40),
            ("meridian-coder", "7b", "fast", "0.08", "0.02", "0.08", date(2026, 3, 10), 32),
        ],
    ),
    "tessellate": (
        "Tessellate Agents",
        "cloud_api",
        ["us-west"],
        [("Tessellate Autopilot", "coding_agent", True, "60.00")],
        [("tess", "1.2", "heavy", "12.00", "1.20", "48.00", date(2026, 9, 1), None)],
    ),
    "quill": (
        "Quill Assist",
        "private_cloud",
        ["eu-west"],
        [("Quill IDE", "ide_assistant", False, "19.00")],
        [("quill", "0.9", "standard", "1.00", "0.10", "4.00", date(2026, 8, 20), None)],
    ),
}


def _pdf(text: str) -> ContentFile:
    """A tiny but well-formed-looking PDF to stand in for a contract or report."""
    body = f"%PDF-1.4\n% Tollgate demo evidence\n% {text}\n%%EOF\n".encode()
    return ContentFile(body, name=f"{text.lower().replace(' ', '-')}.pdf")


def _owner(response: Response, users: dict[str, User]) -> User:
    return users[response.item.owner_role]


def _judge_all(assessment, users, *, except_code=None, leave_open=()):
    for response in assessment.responses.select_related("item"):
        owner = _owner(response, users)
        code = response.item.code
        if code in leave_open:
            continue
        if code == except_code:
            response_set_verdict(
                response=response,
                status="not_satisfied",
                actor=owner,
                comment="Vendor adds provenance trailers in its Q1 release.",
            )
            exception_grant(
                response=response,
                justification="Pilot value outweighs the gap for 90 days; vendor committed a date.",
                compensating_controls="The gateway appends a provenance trailer to every commit.",
                expires_on=timezone.localdate() + timedelta(days=90),
                actor=users[Role.SECURITY],
            )
            continue
        if response.item.evidence_required:
            evidence_add(response=response, uploaded_file=_pdf(f"{code} evidence"), actor=owner)
        response_set_verdict(response=response, status=ResponseStatus.SATISFIED, actor=owner)


def _approve(assessment, users):
    for role in (Role.SECURITY, Role.LEGAL):
        signoff_record(
            kind=SubjectKind.ASSESSMENT,
            subject=assessment,
            role=role,
            decision=Decision.APPROVE,
            actor=users[role],
        )
    assessment_approve(assessment=assessment, actor=users[Role.SECURITY])


def seed_vendors(users: dict[str, User]) -> list[str]:
    """Create the five demo vendors with offerings, model versions and assessments."""
    created = []
    for slug, (name, hosting, regions, offerings, models) in VENDORS.items():
        if Vendor.objects.filter(slug=slug).exists():
            continue
        vendor = vendor_create(name=name, slug=slug, hosting_model=hosting, data_regions=regions)
        for off_name, kind, agentic, price in offerings:
            offering_create(
                vendor=vendor,
                name=off_name,
                kind=kind,
                agentic=agentic,
                seat_price=Decimal(price) if price else None,
            )
        for family, version, tier, p_in, p_cached, p_out, released, adopt in models:
            model_version_create(
                vendor=vendor,
                family=family,
                version=version,
                tier=tier,
                price_input_per_mtok=Decimal(p_in),
                price_cached_input_per_mtok=Decimal(p_cached),
                price_output_per_mtok=Decimal(p_out),
                released_on=released,
                approved_on=released + timedelta(days=adopt) if adopt is not None else None,
                status=ModelStatus.APPROVED if adopt is not None else ModelStatus.CANDIDATE,
                rollback_plan="Pin the previous version in the gateway route table.",
            )
        created.append(slug)
        # Before any assessment: the list the first review judges residency against.
        _seed_subprocessors(vendor, users)
        if slug == "quill":
            continue  # a prospect: not reviewed yet
        assessment = assessment_open(vendor=vendor, actor=users[Role.SECURITY])
        if slug == "tessellate":
            # A blocking gap: sandboxing of tool calls is not satisfied, no exception.
            _judge_all(assessment, users, leave_open=("tool-call-sandboxing",))
            sandboxing = assessment.responses.get(item__code="tool-call-sandboxing")
            response_set_verdict(
                response=sandboxing,
                status="not_satisfied",
                actor=users[Role.SECURITY],
                comment="Shell commands run unsandboxed on the developer's machine.",
            )
            continue
        _judge_all(assessment, users, except_code="code-provenance" if slug == "cirrus" else None)
        _approve(assessment, users)
    return created


# slug: the vendor's published sub-processors (name, purpose, countries, data categories).
SUBPROCESSORS = {
    "helix": [
        (
            "Northwind Cloud",
            "Model hosting and inference",
            ("IE", "US"),
            ("prompts", "completions"),
        ),
        ("Tallyho Logs", "Request log storage", ("IE",), ("request metadata",)),
    ],
    "cirrus": [
        ("Bramble Compute", "Model hosting and inference", ("DE",), ("prompts", "completions")),
        ("Ledgerline Support", "Support tickets", ("DE",), ("contact details",)),
    ],
    "meridian": [("Fjord Support", "Remote support sessions", ("NO",), ("contact details",))],
    "tessellate": [
        ("Sandpiper Sandbox", "Tool-call sandboxes", ("US",), ("source code", "commands")),
        ("Kestrel Telemetry", "Usage telemetry", ("US",), ("request metadata",)),
    ],
    "quill": [("Northwind Cloud", "Private-cloud hosting", ("IE",), ("prompts", "completions"))],
    "nimbus": [("Cumulus Compute", "Model hosting and training", ("US",), ("prompts",))],
}
# The change that waits for review: Tessellate's sandboxes now also run in Singapore.
SUBPROCESSOR_CHANGE = ("tessellate", "Sandpiper Sandbox", ("US", "SG"))


def _subprocessor_rows(slug: str, moved: tuple[str, tuple[str, ...]] | None = None):
    rows = []
    for name, purpose, countries, categories in SUBPROCESSORS[slug]:
        if moved and moved[0] == name:
            countries = moved[1]
        rows.append(SubProcessorRow(name, purpose, tuple(countries), tuple(categories)))
    return rows


def _seed_subprocessors(vendor: Vendor, users: dict[str, User]) -> None:
    """Import the vendor's published list and settle it as the baseline of its first review."""
    changes = subprocessors_import(
        vendor=vendor,
        rows=_subprocessor_rows(vendor.slug),
        source=f"https://{vendor.slug}.example/legal/subprocessors",
        actor=users[Role.LEGAL],
    )
    for change in changes:
        subprocessor_change_settle(
            change=change,
            actor=users[Role.LEGAL],
            note="Baseline list, judged with the vendor's first data-residency review.",
        )


def seed_questionnaires(users: dict[str, User]) -> dict[str, str]:
    """A sub-processor change awaiting review and two questionnaires to Tessellate's people.

    One questionnaire was answered by the vendor (its answer and file wait for security); the
    other, on data residency reopened by the change, is still pending. Returns the pending
    link ({} when the demo already has them): only the email ever carries it.
    """
    vendor = Vendor.objects.filter(slug=SUBPROCESSOR_CHANGE[0]).first()
    if vendor is None:
        return {}
    if not vendor.subprocessor_changes.filter(kind=SubProcessorChangeKind.NEW_COUNTRY).exists():
        subprocessors_import(
            vendor=vendor,
            rows=_subprocessor_rows(vendor.slug, moved=SUBPROCESSOR_CHANGE[1:]),
            source=f"https://{vendor.slug}.example/legal/subprocessors",
            actor=users[Role.LEGAL],
        )
    assessment = vendor.assessments.filter(status=AssessmentStatus.IN_REVIEW).first()
    if assessment is None or Questionnaire.objects.filter(assessment=assessment).exists():
        return {}
    responses = {r.item.code: r for r in assessment.responses.select_related("item")}
    answered = questionnaire_send(
        assessment=assessment,
        contact_name="Sam Okafor",
        contact_email="security@tessellate.example",
        message="Please tell us how tool calls are sandboxed.",
        responses=[responses["tool-call-sandboxing"]],
        actor=users[Role.SECURITY],
    ).questionnaire
    sandboxing = responses["tool-call-sandboxing"].pk
    answer_propose(
        questionnaire=answered,
        response_id=sandboxing,
        answer="Since release 1.3 every shell command runs in a per-session microVM with no "
        "network access; the allowlist is enforced server-side. Architecture note attached.",
    )
    answer_attach_file(
        questionnaire=answered,
        response_id=sandboxing,
        uploaded_file=_pdf("Sandbox architecture"),
    )
    pending = questionnaire_send(
        assessment=assessment,
        contact_name="Dana Reyes",
        contact_email="dpo@tessellate.example",
        message="Your sub-processor list now names Singapore: where does our data go?",
        responses=[responses["data-residency"]],
        actor=users[Role.SECURITY],
    )
    return {"pending": pending.link}


SHORTLIST = [
    ("helix", "frontier_cloud", True, "Default for IDE completion; agent use through the gateway."),
    ("cirrus", "frontier_cloud", False, "Second frontier provider for completion."),
    ("meridian", "open_weights_on_prem", False, "On-prem fallback for restricted repositories."),
]


def seed_shortlist(users: dict[str, User]) -> int | None:
    """Publish a three-provider shortlist (two frontier cloud, one on-prem) if none exists."""
    if ShortlistVersion.objects.exists():
        return None
    draft = shortlist_draft_create(actor=users[Role.SECURITY], notes="Initial standardisation.")
    for slug, role, agentic, notes in SHORTLIST:
        shortlist_entry_add(
            version=draft,
            vendor=Vendor.objects.get(slug=slug),
            role=role,
            allow_agentic=agentic,
            notes=notes,
            actor=users[Role.SECURITY],
        )
    for role in (Role.SECURITY, Role.LEGAL):
        signoff_record(
            kind=SubjectKind.SHORTLIST,
            subject=draft,
            role=role,
            decision=Decision.APPROVE,
            actor=users[role],
        )
    return shortlist_publish(version=draft, actor=users[Role.SECURITY]).number


TEAMS = [
    ("Payments", "CC-4100", 9),
    ("Checkout", "CC-4120", 7),
    ("Platform API", "CC-5200", 11),
    ("Mobile", "CC-6100", 8),
]
# The running demo pilot's control teams (in no running pilot).
DEMO_CONTROLS = ("Payments", "Checkout")
# title, offering, teams, workflows, start offset (days from today), target status, outcome
PILOTS = [
    (
        "Test generation in Payments",
        "Helix Code",
        ["Payments"],
        ["test_generation"],
        45,
        "draft",
        "",
    ),
    (
        "Boilerplate for Checkout",
        "Cirrus Assist",
        ["Checkout", "Mobile"],
        ["boilerplate", "pr_generation"],
        30,
        "submitted",
        "",
    ),
    (
        "Refactoring the Platform API",
        "Helix Code",
        ["Platform API"],
        ["multi_file_refactor"],
        -110,
        "running",
        "",
    ),
    (
        "On-prem debugging assistant",
        "Meridian Coder (self-hosted)",
        ["Mobile"],
        ["debugging"],
        -200,
        "closed",
        "killed",
    ),
]
BASELINES = [
    ("cycle-time", "standard", "31.5"),
    ("cycle-time", "complex", "74"),
    ("defect-escape-rate", "", "0.14"),
    ("reviewer-load", "", "38"),
    ("feature-throughput", "", "19.5"),
    ("prs-per-engineer-month", "", "5.5"),
]


def seed_pilots(users: dict[str, User]) -> list[str]:
    """Teams and four pilots at different stages, written through the services."""
    from governance.models import Metric, Pilot, Team
    from governance.services import pilots as ps
    from vendors.models import Offering

    if Pilot.objects.exists():
        return []
    pm = users[Role.AI_PM]
    for name, cost_centre, headcount in TEAMS:
        if not Team.objects.filter(name=name).exists():
            ps.team_create(name=name, cost_centre=cost_centre, headcount=headcount, actor=pm)
    metrics = {m.code: m for m in Metric.objects.all()}
    today = timezone.localdate()
    created = []
    for title, offering, teams, workflows, offset, target, outcome in PILOTS:
        start = today + timedelta(days=offset)
        pilot = ps.pilot_create(
            title=title,
            offering=Offering.objects.get(name=offering),
            teams=list(Team.objects.filter(name__in=teams)),
            workflows=workflows,
            use_case=f"{title}: {', '.join(w.replace('_', ' ') for w in workflows)}.",
            planned_start=start,
            planned_end=start + timedelta(days=75),
            actor=pm,
        )
        created.append(title)
        _charter(pilot, metrics=metrics, start=start, pm=pm)
        ps.kill_criterion_add(
            pilot=pilot,
            metric=metrics["defect-escape-rate"],
            comparator="above",
            threshold=Decimal("0.25"),
            evaluate_from_day=90,
            consecutive_periods=1,
            actor=pm,
        )
        if target == PilotStatus.DRAFT:
            continue
        ps.pilot_submit(pilot=pilot, actor=pm, reason="Scope, baselines and kill criteria agreed.")
        if target == PilotStatus.SUBMITTED:
            continue
        for role in (Role.SECURITY, Role.FINANCE):
            signoff_record(
                kind=SubjectKind.PILOT,
                subject=pilot,
                role=role,
                decision=Decision.APPROVE,
                actor=users[role],
            )
        ps.pilot_approve(pilot=pilot, actor=users[Role.FINANCE])
        ps.pilot_start(pilot=pilot, actor=pm, reason="Kick-off held.", today=start)
        if target == PilotStatus.CLOSED:
            ps.pilot_begin_review(pilot=pilot, actor=pm, reason="Last checkpoint passed.")
            ps.pilot_close(
                pilot=pilot,
                outcome=outcome,
                actor=users[Role.FINANCE],
                reason="Reviewer load stayed 30% above baseline after day 90.",
            )
    return created


def seed_measurements(users: dict[str, User]) -> int:
    """Weekly measurements for the running demo pilot, and its first checkpoint evaluated."""
    from governance.models import Measurement, Pilot, Team
    from governance.services import pilots as ps
    from governance.services.checkpoints import checkpoints_evaluate_due
    from governance.services.measurements import measurements_ingest

    pilot = Pilot.objects.filter(status=PilotStatus.RUNNING).order_by("pk").first()
    if pilot is None or Measurement.objects.filter(pilot=pilot).exists():
        return 0
    today = timezone.localdate()
    weeks = (today - pilot.started_on).days // 7
    # A J-curve: reviewer load rises in the first weeks, then settles below baseline.
    curve = ["44", "47", "45", "41", "37", "35", "34", "33", "33", "32"]
    rows = []
    for week in range(weeks):
        start = pilot.started_on + timedelta(days=7 * week)
        end = start + timedelta(days=6)
        for metric, tier, value in (
            ("reviewer-load", "", curve[min(week, len(curve) - 1)]),
            ("cycle-time", "standard", str(max(31.5 - week * 0.3, 28.5))),
            ("defect-escape-rate", "", "0.13"),
            ("feature-throughput", "", str(19.5 + week * 0.4)),
            ("prs-per-engineer-month", "", "6"),
        ):
            rows.append(
                {
                    "pilot": pilot.pk,
                    "metric": metric,
                    "tier": tier,
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                    "value": value,
                    "sample_size": 30,
                }
            )
    if rows:
        measurements_ingest(rows=rows, actor=users[Role.PLATFORM])
    # Controls are chosen before the first checkpoint is evaluated, after which they are fixed:
    # two teams whose pilots have not started, so the effects read as differences-in-differences.
    controls = Team.objects.filter(name__in=DEMO_CONTROLS).exclude(pilots=pilot)
    ps.pilot_controls_set(pilot=pilot, teams=list(controls), actor=pilot.owner)
    checkpoints_evaluate_due()
    return len(rows)


def seed_finance(users: dict[str, User]) -> int:
    """A rate card, six months of spend on the running pilot, and one signed hold review."""
    from governance.models import Pilot, QuarterlyReview, RateCard
    from governance.selectors.finance import quarter_of
    from governance.services import finance as fs

    pilot = Pilot.objects.filter(status=PilotStatus.RUNNING).order_by("pk").first()
    if pilot is None or QuarterlyReview.objects.exists():
        return 0
    today = timezone.localdate()
    this_month = today.replace(day=1)
    RateCard.objects.get_or_create(
        currency="USD",
        effective_from=this_month.replace(year=this_month.year - 1),
        defaults={
            "loaded_hourly_rate": Decimal("118"),
            "senior_hourly_rate": Decimal("165"),
            "note": "Demo rates: fully loaded engineer and senior reviewer hours.",
            "recorded_by": users[Role.FINANCE],
        },
    )
    vendor = pilot.offering.vendor
    months = []
    month = this_month
    for _ in range(6):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    rows = 0
    for index, month in enumerate(reversed(months)):
        amounts = {
            "seats": Decimal("2280"),
            "inference_fast": Decimal("310") + 15 * index,
            "inference_standard": Decimal("940") + 40 * index,
            "inference_heavy": Decimal("1650") + 60 * index,
            "compliance": Decimal("400"),
        }
        if index == 0:
            amounts["integration"] = Decimal("18000")
            amounts["training"] = Decimal("4500")
        for category, amount in amounts.items():
            fs.spend_record(
                actor=users[Role.FINANCE],
                month=month,
                amount=amount,
                scope="pilot",
                pilot=pilot,
                vendor=vendor,
                category=category,
                reference=f"INV-{month:%Y%m}-{category[:4].upper()}",
            )
            rows += 1
    review = fs.review_decide(
        actor=users[Role.FINANCE],
        quarter=quarter_of(today),
        scope="pilot",
        pilot=pilot,
        decision=ReviewDecision.HOLD,
        rationale="Reviewer load is back below baseline after the J-curve; hold seats and "
        "decide on expansion at the next checkpoint.",
        estimates={"other_audited_benefits": Decimal("25000")},
    )
    fs.review_sign(
        review=review, actor=users[Role.FINANCE], role=Role.FINANCE, decision=Decision.APPROVE
    )
    return rows


def seed_packets(users: dict[str, User]) -> list[str]:
    """One sign-off packet of each kind that has a subject; rendered now when tasks are eager."""
    from governance.choices import PacketKind
    from governance.config.celery import app
    from governance.models import CheckpointEvaluation, Packet, Pilot, QuarterlyReview
    from governance.services.packets import packet_render, packet_request
    from vendors.models import Assessment

    subjects = {
        PacketKind.ASSESSMENT: (
            Assessment.objects.filter(status=AssessmentStatus.APPROVED),
            Role.SECURITY,
        ),
        PacketKind.SHORTLIST: (
            ShortlistVersion.objects.filter(status=ShortlistStatus.PUBLISHED),
            Role.LEGAL,
        ),
        PacketKind.PILOT_CHARTER: (
            Pilot.objects.filter(
                status__in=[
                    PilotStatus.APPROVED,
                    PilotStatus.RUNNING,
                    PilotStatus.UNDER_REVIEW,
                    PilotStatus.CLOSED,
                ]
            ),
            Role.FINANCE,
        ),
        PacketKind.CHECKPOINT: (CheckpointEvaluation.objects.all(), Role.AI_PM),
        PacketKind.QUARTERLY_REVIEW: (
            QuarterlyReview.objects.filter(status=ReviewStatus.SIGNED),
            Role.FINANCE,
        ),
    }
    made = []
    for kind, (candidates, requester) in subjects.items():
        subject = candidates.order_by("pk").first()
        if subject is None or Packet.objects.filter(kind=kind).exists():
            continue
        packet = packet_request(kind=kind, subject_id=subject.pk, actor=users[requester])
        if app.conf.task_always_eager:
            # No broker: render here rather than after the command's transaction commits
            # (the task queued on commit then finds the packet ready and does nothing).
            packet = packet_render(packet_id=packet.pk)
        made.append(f"#{packet.pk} {packet.get_kind_display().lower()} ({packet.status})")
    return made


# The running pilot's switch, when no gateway logs showed it (seed_demo --no-evidence); the
# evidence files route its teams' standard requests the same way (demo_evidence.switch_day).
SWITCH_FROM, SWITCH_TO = ("helix-core", "3.0"), ("helix-core", "3.5")
# A canary that went wrong: rolled back to the version before it.
ROLLBACK = ("helix-swift", "3.2", "3.1", date(2026, 10, 26))


def seed_model_lifecycle(users: dict[str, User]) -> list[str]:
    """The running pilot's model switch mid-pilot (re-reviewed and signed) and one rollback."""
    from governance.models import Pilot
    from governance.services.demo_evidence import switch_day
    from governance.services.model_switches import pilot_model_declare
    from vendors.models import ModelRollback, ModelSwitch, ModelVersion
    from vendors.services.model_switches import model_version_rollback

    done = []
    running = [title for title, *_rest, target, _o in PILOTS if target == PilotStatus.RUNNING]
    pilot = Pilot.objects.filter(title__in=running, started_on__isnull=False).first()
    if pilot is None:
        return done
    helix = pilot.offering.vendor
    old = ModelVersion.objects.filter(vendor=helix, family=SWITCH_FROM[0], version=SWITCH_FROM[1])
    new = ModelVersion.objects.filter(vendor=helix, family=SWITCH_TO[0], version=SWITCH_TO[1])
    old, new = old.first(), new.first()
    if old is None or new is None:
        return done
    if new.rollback_target_id is None:
        model_version_update(model_version=new, rollback_target=old)
    switches = ModelSwitch.objects.filter(offering=pilot.offering, to_version=new)
    if not switches.exists():
        platform = users[Role.PLATFORM]
        pilot_model_declare(pilot=pilot, model_version=old, since=pilot.started_on, actor=platform)
        pilot_model_declare(
            pilot=pilot,
            model_version=new,
            since=pilot.started_on + timedelta(days=switch_day(pilot.started_on)),
            actor=platform,
            note="Vendor moved the Helix Code default model.",
        )
        done.append(f"declared {old} → {new} on {pilot.title}")
    for switch in switches.filter(status="open"):
        # Security and legal judge the reopened items again and sign: the re-review closes.
        assessments = {r.assessment_id: r.assessment for r in switch.reopened.all()}
        for response in switch.reopened.select_related("item"):
            if response.status == ResponseStatus.NEEDS_REVIEW:
                response_set_verdict(
                    response=response,
                    status=ResponseStatus.SATISFIED,
                    actor=_owner(response, users),
                    comment=f"Re-judged for {switch.to_version}: the vendor's notes hold.",
                )
        for assessment in assessments.values():
            assessment.refresh_from_db()
            if assessment.status == AssessmentStatus.IN_REVIEW:
                _approve(assessment, users)
        done.append(f"re-review of {switch.from_version} → {switch.to_version} signed")
    family, version, target, released = ROLLBACK
    if not ModelRollback.objects.exists():
        previous = ModelVersion.objects.filter(vendor=helix, family=family, version=target).first()
        if previous is not None:
            canary = ModelVersion.objects.filter(vendor=helix, family=family, version=version)
            canary = canary.first() or model_version_create(
                vendor=helix,
                family=family,
                version=version,
                tier=previous.tier,
                price_input_per_mtok=previous.price_input_per_mtok,
                price_cached_input_per_mtok=previous.price_cached_input_per_mtok,
                price_output_per_mtok=previous.price_output_per_mtok,
                released_on=released,
                rollback_target=previous,
                rollback_plan="Pin helix-swift 3.1 in the gateway route table.",
            )
            rollback = model_version_rollback(
                model_version=canary,
                actor=users[Role.PLATFORM],
                reason="The canary doubled tool-call errors in completions.",
            )
            done.append(f"rolled {rollback.model_version} back to {rollback.target}")
    return done


# The funnel's demo: subjects that stopped at each gate, each for a reason a reader recognises.
# title, offering, teams, workflows, start offset, how far it gets, outcome, reason
FUNNEL_PILOTS = [
    (
        "Chat triage in Checkout",
        "Cirrus Assist",
        ["Checkout"],
        ["debugging"],
        20,
        PilotStatus.WITHDRAWN,
        "",
        "Procurement stalled: no budget owner for the seats before the quarter closed.",
    ),
    (
        "Test generation in Mobile",
        "Helix Code",
        ["Mobile"],
        ["test_generation"],
        25,
        PilotStatus.SUBMITTED,
        "",
        "Security could not finish the repository-scope review inside the planning window.",
    ),
    (
        "Boilerplate on-prem for Payments",
        "Meridian Coder (self-hosted)",
        ["Payments"],
        ["boilerplate"],
        -260,
        PilotStatus.CLOSED,
        "contracted",
        "Throughput rose 6% but heavy-tier spend doubled; cut back to one team.",
    ),
    (
        "PR generation in Platform API",
        "Helix Code",
        ["Platform API"],
        ["pr_generation"],
        -300,
        PilotStatus.CLOSED,
        "expanded",
        "Cycle time down 18% with an interval clear of zero; expand to two more teams.",
    ),
]
# A vendor whose review stopped on a checklist item (its assessment rejected).
FUNNEL_REJECTED = ("nimbus", "Nimbus Pair", "training-opt-out")


def _charter(pilot, *, metrics: dict, start, pm: User) -> None:
    """The demo's charter: every core baseline measured before the start, one kill criterion."""
    from governance.services import pilots as ps

    for code, tier, value in BASELINES:
        ps.baseline_set(
            pilot=pilot,
            metric=metrics[code],
            tier=tier,
            value=Decimal(value),
            sample_size=140,
            period_start=start - timedelta(days=120),
            period_end=start - timedelta(days=30),
            source=Source.IMPORT,
            actor=pm,
        )
    ps.kill_criterion_add(
        pilot=pilot,
        metric=metrics["reviewer-load"],
        comparator="worse_pct",
        threshold=Decimal("20"),
        evaluate_from_day=60,
        actor=pm,
    )


def seed_funnel(users: dict[str, User]) -> list[str]:
    """Pilots and a vendor review that stopped at each gate, with the reason recorded; skipped
    when they exist (idempotent)."""
    from governance.models import Metric, Pilot, Team
    from governance.services import pilots as ps
    from vendors.models import Offering
    from vendors.services.assessments import assessment_reject

    created = []
    slug, name, item = FUNNEL_REJECTED
    if not Vendor.objects.filter(slug=slug).exists():
        vendor = vendor_create(
            name=name, slug=slug, hosting_model="cloud_api", data_regions=["us-east"]
        )
        _seed_subprocessors(vendor, users)
        assessment = assessment_open(vendor=vendor, actor=users[Role.SECURITY])
        response = assessment.responses.select_related("item").filter(item__code=item).first()
        if response is None:  # the checklist was edited: any mandatory item will do
            response = assessment.responses.select_related("item").filter(item__mandatory=True)[0]
        response_set_verdict(
            response=response,
            status="not_satisfied",
            actor=_owner(response, users),
            comment="The contract lets the vendor train on prompts; no opt-out offered.",
        )
        assessment_reject(
            assessment=assessment,
            actor=users[Role.SECURITY],
            reason=f"Blocked by checklist item {response.item.code}: the vendor trains on "
            "customer prompts and offers no opt-out.",
        )
        created.append(name)
    if not Team.objects.exists() or Pilot.objects.filter(title=FUNNEL_PILOTS[0][0]).exists():
        return created
    pm = users[Role.AI_PM]
    metrics = {m.code: m for m in Metric.objects.all()}
    today = timezone.localdate()
    for title, offering, teams, workflows, offset, target, outcome, reason in FUNNEL_PILOTS:
        start = today + timedelta(days=offset)
        pilot = ps.pilot_create(
            title=title,
            offering=Offering.objects.get(name=offering),
            teams=list(Team.objects.filter(name__in=teams)),
            workflows=workflows,
            use_case=f"{title}.",
            planned_start=start,
            planned_end=start + timedelta(days=75),
            actor=pm,
        )
        created.append(title)
        if target == PilotStatus.WITHDRAWN:
            ps.pilot_withdraw(pilot=pilot, actor=pm, reason=reason)
            continue
        _charter(pilot, metrics=metrics, start=start, pm=pm)
        ps.pilot_submit(pilot=pilot, actor=pm, reason="Scope, baselines and kill criteria agreed.")
        if target == PilotStatus.SUBMITTED:
            ps.pilot_withdraw(pilot=pilot, actor=pm, reason=reason)
            continue
        for role in (Role.SECURITY, Role.FINANCE):
            signoff_record(
                kind=SubjectKind.PILOT,
                subject=pilot,
                role=role,
                decision=Decision.APPROVE,
                actor=users[role],
            )
        ps.pilot_approve(pilot=pilot, actor=users[Role.FINANCE])
        ps.pilot_start(pilot=pilot, actor=pm, reason="Kick-off held.", today=start)
        ps.pilot_begin_review(pilot=pilot, actor=pm, reason="Last checkpoint passed.")
        ps.pilot_close(pilot=pilot, outcome=outcome, actor=users[Role.FINANCE], reason=reason)
    return created

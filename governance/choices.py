"""Named choices for the governance app; no bare status strings elsewhere."""

from django.db import models

from vendors.choices import Role, TokenScope

__all__ = ["Decision", "Role", "SubjectKind", "TokenScope"]


class Decision(models.TextChoices):
    """A signer's decision."""

    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


class SubjectKind(models.TextChoices):
    """Things that are signed off."""

    ASSESSMENT = "assessment", "Vendor assessment"
    SHORTLIST = "shortlist", "Shortlist version"
    PILOT = "pilot", "Pilot charter"
    QUARTERLY_REVIEW = "quarterly_review", "Quarterly review"
    AUDITED_BENEFIT = "audited_benefit", "Audited benefit"


class Workflow(models.TextChoices):
    """Developer workflows a pilot covers."""

    TEST_GENERATION = "test_generation", "Test generation"
    BOILERPLATE = "boilerplate", "Boilerplate scaffolding"
    PR_GENERATION = "pr_generation", "PR generation"
    MULTI_FILE_REFACTOR = "multi_file_refactor", "Multi-file refactor"
    DEBUGGING = "debugging", "Debugging"
    AGENTIC_TASK = "agentic_task", "Agentic task"
    OTHER = "other", "Other"


class PilotStatus(models.TextChoices):
    """A pilot's lifecycle."""

    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    RUNNING = "running", "Running"
    UNDER_REVIEW = "under_review", "Under review"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class PilotOutcome(models.TextChoices):
    """How a closed pilot ended."""

    EXPANDED = "expanded", "Expanded"
    CONTRACTED = "contracted", "Contracted"
    KILLED = "killed", "Killed"
    CONCLUDED = "concluded", "Concluded"


class Direction(models.TextChoices):
    """Which way a metric improves."""

    LOWER = "lower", "Lower is better"
    HIGHER = "higher", "Higher is better"


class Tier(models.TextChoices):
    """Complexity tier of a PR ('' for metrics that are not tiered)."""

    NONE = "", "—"
    TRIVIAL = "trivial", "Trivial"
    STANDARD = "standard", "Standard"
    COMPLEX = "complex", "Complex"
    # A tiered metric over every PR, for teams whose gateway does not say which tier served
    # which PR.
    ALL = "all", "All tiers"


class Source(models.TextChoices):
    """Where a number came from."""

    API = "api", "API"
    IMPORT = "import", "Import"
    DERIVED = "derived", "Derived from imported evidence"
    MANUAL = "manual", "Manual"


class Comparator(models.TextChoices):
    """How a kill criterion compares the current value."""

    WORSE_THAN_BASELINE_PCT = "worse_pct", "Worse than baseline by X percent"
    ABOVE = "above", "Above an absolute value"
    BELOW = "below", "Below an absolute value"


class Verdict(models.TextChoices):
    """A kill criterion's verdict at a checkpoint."""

    OK = "ok", "OK"
    BREACHED = "breached", "Breached"
    INSUFFICIENT_DATA = "insufficient_data", "Insufficient data"
    IN_GRACE = "in_grace", "In grace"


class NotificationKind(models.TextChoices):
    """What a notification is about."""

    KILL_CRITERION_BREACHED = "kill_breached", "Kill criterion breached"
    CHECKPOINT_EVALUATED = "checkpoint", "Checkpoint evaluated"
    CHECKPOINT_DUE = "checkpoint_due", "Checkpoint due"
    EXPIRY = "expiry", "Verdict or exception expiring"
    SHORTLIST_SUSPENDED = "shortlist", "Shortlist entry suspended"
    REVIEW_DUE = "review_due", "Quarterly review due"
    INTEGRITY = "integrity", "Integrity check found a problem"
    MODEL_SWITCH = "model_switch", "Model version switched or rolled back"
    SIGNOFF_REQUESTED = "signoff_requested", "Sign-off requested"
    SIGNOFF_REVOKED = "signoff_revoked", "Sign-off revoked by a change"
    APPROVAL_READY = "approval_ready", "Every sign-off is in"
    APPROVED = "approved", "Approved"
    FAILED = "failed", "Import or packet failed"


class SpendScope(models.TextChoices):
    """What a spend row is charged to."""

    PILOT = "pilot", "Pilot"
    TEAM = "team", "Team"
    PROGRAM = "program", "Program (an offering across its pilots)"


class SpendCategory(models.TextChoices):
    """Ledger categories; RECURRING ones make up annual AI spend, the rest are one-time."""

    SEATS = "seats", "Seats (licences)"
    INFERENCE_FAST = "inference_fast", "Inference: fast tier"
    INFERENCE_STANDARD = "inference_standard", "Inference: standard tier"
    INFERENCE_HEAVY = "inference_heavy", "Inference: heavy tier"
    PLATFORM_ONE_TIME = "platform_one_time", "Platform build (one-time)"
    COMPLIANCE = "compliance", "Compliance (recurring)"
    INTEGRATION = "integration", "Integration (one-time)"
    TRAINING = "training", "Training (one-time)"
    MODEL_UPDATE = "model_update", "Model updates (recurring platform)"


# Annual AI spend = licences + inference + recurring platform and compliance (DESIGN.md).
RECURRING_CATEGORIES = frozenset(
    {
        SpendCategory.SEATS,
        SpendCategory.INFERENCE_FAST,
        SpendCategory.INFERENCE_STANDARD,
        SpendCategory.INFERENCE_HEAVY,
        SpendCategory.COMPLIANCE,
        SpendCategory.MODEL_UPDATE,
    }
)
INFERENCE_TIERS = {
    SpendCategory.INFERENCE_FAST: "fast",
    SpendCategory.INFERENCE_STANDARD: "standard",
    SpendCategory.INFERENCE_HEAVY: "heavy",
}


class BenefitCategory(models.TextChoices):
    """What an audited benefit saved (the "other audited benefits" of the ROI model)."""

    DEFECT_COST_AVOIDED = "defect_cost_avoided", "Defect cost avoided"
    CONTRACTOR_SPEND_AVOIDED = "contractor_spend_avoided", "Contractor spend avoided"
    INCIDENT_REMEDIATION_AVOIDED = "incident_remediation_avoided", "Incident remediation avoided"
    OTHER = "other", "Other audited saving"


class BenefitStatus(models.TextChoices):
    """An audited benefit's life: recorded, then signed by finance (immutable)."""

    RECORDED = "recorded", "Recorded, awaiting finance's sign-off"
    SIGNED = "signed", "Signed"


class ReviewScope(models.TextChoices):
    """What a quarterly review decides about."""

    PILOT = "pilot", "Pilot"
    PROGRAM = "program", "Program (an offering across its pilots)"


class ReviewDecision(models.TextChoices):
    """Finance's quarterly decision."""

    EXPAND = "expand", "Expand"
    HOLD = "hold", "Hold"
    CONTRACT = "contract", "Contract"
    KILL = "kill", "Kill"


class ReviewStatus(models.TextChoices):
    """A quarterly review's life: decided, then signed (immutable), maybe superseded."""

    DECIDED = "decided", "Decided, awaiting sign-off"
    SIGNED = "signed", "Signed"
    SUPERSEDED = "superseded", "Superseded"


class PacketKind(models.TextChoices):
    """What a sign-off packet certifies (a row each in governance/selectors/packets.py)."""

    ASSESSMENT = "assessment", "Vendor assessment"
    SHORTLIST = "shortlist", "Shortlist version"
    PILOT_CHARTER = "pilot_charter", "Pilot charter"
    CHECKPOINT = "checkpoint", "Checkpoint evaluation"
    QUARTERLY_REVIEW = "quarterly_review", "Quarterly review"
    PORTFOLIO = "portfolio", "Finance portfolio"


class PacketStatus(models.TextChoices):
    """Where a packet's rendering stands."""

    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class VerifyOutcome(models.TextChoices):
    """What checking a packet found: genuine, or the one thing that failed first."""

    GENUINE = "genuine", "Genuine"
    FILE_CHANGED = "file_changed", "File changed"
    FILE_MISSING = "file_missing", "Stored file missing"
    NOT_TOLLGATE = "not_tollgate", "Not a Tollgate packet"
    UNKNOWN_ID = "unknown_id", "Unknown packet id"
    CHAIN_BROKEN = "chain_broken", "Chain broken"

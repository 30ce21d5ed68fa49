"""Named choices for the governance app; no bare status strings elsewhere."""

from django.db import models

from vendors.choices import Role

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


class TokenScope(models.TextChoices):
    """What a service-account token may do; a token can do nothing else."""

    SHORTLIST_READ = "shortlist:read", "Read the shortlist (gateway)"
    MEASUREMENTS_WRITE = "measurements:write", "Post measurements for granted pilots (telemetry)"


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


class Source(models.TextChoices):
    """Where a number came from."""

    API = "api", "API"
    IMPORT = "import", "Import"
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
    EXPIRY = "expiry", "Verdict or exception expiring"
    SHORTLIST_SUSPENDED = "shortlist", "Shortlist entry suspended"


class PacketKind(models.TextChoices):
    """What a sign-off packet certifies (one row each in governance.packets.PACKET_KINDS)."""

    ASSESSMENT = "assessment", "Vendor assessment"
    SHORTLIST = "shortlist", "Shortlist version"
    PILOT_CHARTER = "pilot_charter", "Pilot charter"
    CHECKPOINT = "checkpoint", "Checkpoint evaluation"


class PacketStatus(models.TextChoices):
    """Where a packet's rendering stands."""

    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"

"""Named choices for the vendor registry.

Role and TokenScope live here, in the leaf app, because checklist items name an owner role,
the gateway's shortlist views name a token scope, and vendors must never import governance;
governance re-exports both.
"""

from django.db import models


class Role(models.TextChoices):
    """The six roles; each is a Django group of the same name."""

    SECURITY = "security", "Security"
    LEGAL = "legal", "Legal"
    AI_PM = "ai_pm", "AI product manager"
    FINANCE = "finance", "Finance"
    PLATFORM = "platform", "Platform"
    AUDITOR = "auditor", "Auditor"


class TokenScope(models.TextChoices):
    """What a service-account token may do (governance/selectors/tokens.py has the rule)."""

    SHORTLIST_READ = "shortlist:read", "Read the shortlist (gateway)"
    MEASUREMENTS_WRITE = "measurements:write", "Post measurements for granted pilots (telemetry)"


# One line per scope saying what a holder can reach; the token form shows it beside each box.
TOKEN_SCOPE_DESCRIPTIONS = {
    TokenScope.SHORTLIST_READ: "GET /api/v1/shortlist/check/, /current/ and /versions/: the "
    "gateway asks whether a vendor may be used for a use today. Reads only.",
    TokenScope.MEASUREMENTS_WRITE: "POST /api/v1/measurements/bulk/: a telemetry pipeline posts "
    "measurements, only for the pilots chosen below. Cannot read or change anything else.",
}


class HostingModel(models.TextChoices):
    """Where the vendor's models run, which decides the checklist items that apply."""

    CLOUD_API = "cloud_api", "Cloud API"
    PRIVATE_CLOUD = "private_cloud", "Private cloud"
    ON_PREM = "on_prem", "On-prem open weights"


class VendorStatus(models.TextChoices):
    """Where a vendor stands in procurement."""

    PROSPECT = "prospect", "Prospect"
    UNDER_REVIEW = "under_review", "Under review"
    APPROVED = "approved", "Approved"
    SUSPENDED = "suspended", "Suspended"
    RETIRED = "retired", "Retired"


class Currency(models.TextChoices):
    """ISO 4217 currencies accepted for prices and spend."""

    USD = "USD", "US dollar"
    EUR = "EUR", "Euro"
    GBP = "GBP", "Pound sterling"
    CHF = "CHF", "Swiss franc"
    JPY = "JPY", "Japanese yen"
    CAD = "CAD", "Canadian dollar"
    AUD = "AUD", "Australian dollar"
    INR = "INR", "Indian rupee"


class OfferingKind(models.TextChoices):
    """What kind of product an offering is."""

    IDE_ASSISTANT = "ide_assistant", "IDE assistant"
    CODING_AGENT = "coding_agent", "Coding agent"
    CHAT = "chat", "Chat assistant"
    MODEL_API = "model_api", "Model API"
    SELF_HOSTED_MODEL = "self_hosted_model", "Self-hosted model"


class RoutingTier(models.TextChoices):
    """Model routing tier: cheap for trivial work, mid for standard, frontier for heavy."""

    FAST = "fast", "Fast"
    STANDARD = "standard", "Standard"
    HEAVY = "heavy", "Heavy"


class ModelStatus(models.TextChoices):
    """Where a model version stands internally."""

    CANDIDATE = "candidate", "Candidate"
    APPROVED = "approved", "Approved"
    DEPRECATED = "deprecated", "Deprecated"


class ChecklistCategory(models.TextChoices):
    """Checklist item categories."""

    DATA = "data", "Data protection"
    CONTRACT = "contract", "Contract and IP"
    OBSERVABILITY = "observability", "Audit and tracing"
    SECURITY = "security", "Application security"
    OPERATIONS = "operations", "Model operations"


class AppliesTo(models.TextChoices):
    """Which assessments a checklist item applies to."""

    ALL = "all", "All vendors"
    AGENTIC = "agentic", "Agentic offerings"
    ON_PREM = "on_prem", "On-prem open weights"
    CLOUD = "cloud", "Cloud-hosted (API or private cloud)"


class OwnerRole(models.TextChoices):
    """Roles that own checklist items (a subset of Role)."""

    SECURITY = Role.SECURITY.value, Role.SECURITY.label
    LEGAL = Role.LEGAL.value, Role.LEGAL.label


class AssessmentStatus(models.TextChoices):
    """An assessment's lifecycle."""

    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ResponseStatus(models.TextChoices):
    """The verdict on one checklist item within an assessment."""

    OPEN = "open", "Open"
    SATISFIED = "satisfied", "Satisfied"
    NOT_SATISFIED = "not_satisfied", "Not satisfied"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    EXCEPTED = "excepted", "Excepted"
    NEEDS_REVIEW = "needs_review", "Needs review"


class ExceptionStatus(models.TextChoices):
    """A risk acceptance's lifecycle."""

    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class ShortlistStatus(models.TextChoices):
    """A shortlist version's lifecycle."""

    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"


class ProviderRole(models.TextChoices):
    """The part a provider plays on the shortlist."""

    FRONTIER_CLOUD = "frontier_cloud", "Frontier cloud"
    OPEN_WEIGHTS_ON_PREM = "open_weights_on_prem", "Open-weights on-prem"
    OTHER = "other", "Other"


class Use(models.TextChoices):
    """What a shortlisted provider may be used for."""

    COMPLETION = "completion", "Completion"
    AGENTIC = "agentic", "Agentic"


class MappingRelationship(models.TextChoices):
    """How a checklist item relates to a framework requirement (NIST OLIR set-theory terms)."""

    EQUAL = "equal", "Equal"
    SUBSET = "subset", "Item is a subset of the requirement"
    SUPERSET = "superset", "Item is a superset of the requirement"
    INTERSECT = "intersect", "Item intersects the requirement"


class CoverageStatus(models.TextChoices):
    """Where a framework requirement stands for one assessment."""

    COVERED = "covered", "Covered"
    PARTIAL = "partial", "Partial"
    EXCEPTED = "excepted", "Excepted"
    GAP = "gap", "Gap"


class FrameworkSource(models.TextChoices):
    """Which file format a framework version was loaded from."""

    TOLLGATE = "tollgate", "Tollgate framework file"
    OSCAL = "oscal", "NIST OSCAL catalog"


class SubProcessorChangeKind(models.TextChoices):
    """What changed in a vendor's sub-processor list."""

    ADDED = "added", "New sub-processor"
    NEW_COUNTRY = "new_country", "New country"
    REMOVED = "removed", "Sub-processor removed"


class QuestionnaireStatus(models.TextChoices):
    """A vendor questionnaire's lifecycle (expiry is a time, not a status)."""

    OPEN = "open", "Open"
    REVOKED = "revoked", "Revoked"


class ProposedAnswerStatus(models.TextChoices):
    """Where a vendor's answer to one item stands with its reviewer."""

    PROPOSED = "proposed", "Awaiting review"
    ACCEPTED = "accepted", "Accepted"
    SENT_BACK = "sent_back", "Sent back"


class SwitchSource(models.TextChoices):
    """What showed that an offering's model version changed."""

    GATEWAY = "gateway", "Gateway traffic share"
    DECLARED = "declared", "Declared by platform"
    DEPRECATION = "deprecation", "Vendor deprecation date"


class RereviewStatus(models.TextChoices):
    """Where the re-review a model switch opened stands."""

    OPEN = "open", "Needs review"
    SETTLED = "settled", "Settled and signed"

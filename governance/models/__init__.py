"""Governance models."""

from governance.models.evidence import (
    CopilotOrgDay,
    CopilotUserDay,
    EscapedDefect,
    GatewayDaily,
    GatewayMonthly,
    GatewayRequest,
    ImportRun,
    ModelAlias,
    PullRequest,
    PullRequestReview,
    TeamMember,
    TeamMetricValue,
)
from governance.models.finance import (
    AuditedBenefit,
    BenefitTransition,
    QuarterlyReview,
    RateCard,
    ReviewTransition,
    Spend,
)
from governance.models.integrity import IntegrityCheck
from governance.models.measurements import (
    CheckpointEvaluation,
    CheckpointReminder,
    CriterionResult,
    Measurement,
    Notification,
)
from governance.models.model_switches import PilotModelVersion
from governance.models.ops import WorkerHeartbeat
from governance.models.packets import Packet, PacketTransition
from governance.models.pilots import (
    Baseline,
    KillCriterion,
    Metric,
    Pilot,
    PilotTransition,
    Team,
)
from governance.models.portfolio import PortfolioSnapshot
from governance.models.signoffs import SignOff
from governance.models.tokens import ServiceToken

__all__ = [
    "AuditedBenefit",
    "Baseline",
    "BenefitTransition",
    "CheckpointEvaluation",
    "CheckpointReminder",
    "CopilotOrgDay",
    "CopilotUserDay",
    "CriterionResult",
    "EscapedDefect",
    "GatewayDaily",
    "GatewayMonthly",
    "GatewayRequest",
    "ImportRun",
    "IntegrityCheck",
    "KillCriterion",
    "Measurement",
    "Metric",
    "ModelAlias",
    "Notification",
    "Packet",
    "PacketTransition",
    "Pilot",
    "PilotModelVersion",
    "PilotTransition",
    "PortfolioSnapshot",
    "PullRequest",
    "PullRequestReview",
    "QuarterlyReview",
    "RateCard",
    "ReviewTransition",
    "ServiceToken",
    "SignOff",
    "Spend",
    "Team",
    "TeamMember",
    "TeamMetricValue",
    "WorkerHeartbeat",
]

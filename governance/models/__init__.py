"""Governance models."""

from governance.models.finance import QuarterlyReview, RateCard, ReviewTransition, Spend
from governance.models.measurements import (
    CheckpointEvaluation,
    CriterionResult,
    Measurement,
    Notification,
)
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
from governance.models.signoffs import SignOff
from governance.models.tokens import ServiceToken

__all__ = [
    "Baseline",
    "CheckpointEvaluation",
    "CriterionResult",
    "KillCriterion",
    "Measurement",
    "Metric",
    "Notification",
    "Packet",
    "PacketTransition",
    "Pilot",
    "PilotTransition",
    "QuarterlyReview",
    "RateCard",
    "ReviewTransition",
    "ServiceToken",
    "SignOff",
    "Spend",
    "Team",
    "WorkerHeartbeat",
]

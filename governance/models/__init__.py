"""Governance models."""

from governance.models.ops import WorkerHeartbeat
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
    "KillCriterion",
    "Metric",
    "Pilot",
    "PilotTransition",
    "ServiceToken",
    "SignOff",
    "Team",
    "WorkerHeartbeat",
]

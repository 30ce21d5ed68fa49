"""Governance models."""

from governance.models.ops import WorkerHeartbeat
from governance.models.signoffs import SignOff
from governance.models.tokens import ServiceToken

__all__ = ["ServiceToken", "SignOff", "WorkerHeartbeat"]

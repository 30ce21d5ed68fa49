"""Governance models."""

from governance.models.ops import WorkerHeartbeat
from governance.models.signoffs import SignOff

__all__ = ["SignOff", "WorkerHeartbeat"]

"""Governance models."""

from governance.models.ops import WorkerHeartbeat

__all__ = ["WorkerHeartbeat"]

"""Governance in the admin, one module per feature (imported here to register them)."""

from governance.admin import (
    checkpoints,
    finance,
    imports,
    measurements,
    model_switches,
    ops,
    packets,
    pilots,
    signoffs,
    tokens,
)

__all__ = [
    "checkpoints",
    "finance",
    "imports",
    "measurements",
    "model_switches",
    "ops",
    "packets",
    "pilots",
    "signoffs",
    "tokens",
]

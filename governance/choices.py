"""Named choices for the governance app; no bare status strings elsewhere."""

from vendors.choices import Role

__all__ = ["Role"]

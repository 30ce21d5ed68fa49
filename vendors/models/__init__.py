"""Vendor registry models."""

from vendors.models.registry import Vendor

__all__ = ["Vendor"]

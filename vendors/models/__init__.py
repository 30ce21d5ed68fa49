"""Vendor registry models."""

from vendors.models.assessments import (
    Assessment,
    AssessmentTransition,
    Evidence,
    ExceptionTransition,
    ExpiryReminder,
    Response,
    ResponseTransition,
    RiskException,
)
from vendors.models.checklist import ChecklistItem
from vendors.models.registry import ModelVersion, Offering, Vendor, VendorTransition

__all__ = [
    "Assessment",
    "AssessmentTransition",
    "ChecklistItem",
    "Evidence",
    "ExceptionTransition",
    "ExpiryReminder",
    "ModelVersion",
    "Offering",
    "Response",
    "ResponseTransition",
    "RiskException",
    "Vendor",
    "VendorTransition",
]

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
from vendors.models.frameworks import Framework, Requirement, RequirementMapping
from vendors.models.questionnaires import (
    ProposedAnswer,
    ProposedAnswerTransition,
    ProposedFile,
    Questionnaire,
    QuestionnaireReminder,
    QuestionnaireTransition,
)
from vendors.models.registry import ModelVersion, Offering, Vendor, VendorTransition
from vendors.models.shortlist import ShortlistEntry, ShortlistTransition, ShortlistVersion
from vendors.models.subprocessors import SubProcessor, SubProcessorChange
from vendors.models.switches import ModelRollback, ModelSwitch, ModelSwitchTransition

__all__ = [
    "Assessment",
    "AssessmentTransition",
    "ChecklistItem",
    "Evidence",
    "ExceptionTransition",
    "ExpiryReminder",
    "Framework",
    "ModelRollback",
    "ModelSwitch",
    "ModelSwitchTransition",
    "ModelVersion",
    "Offering",
    "ProposedAnswer",
    "ProposedAnswerTransition",
    "ProposedFile",
    "Questionnaire",
    "QuestionnaireReminder",
    "QuestionnaireTransition",
    "Requirement",
    "RequirementMapping",
    "Response",
    "ResponseTransition",
    "RiskException",
    "ShortlistEntry",
    "ShortlistTransition",
    "ShortlistVersion",
    "SubProcessor",
    "SubProcessorChange",
    "Vendor",
    "VendorTransition",
]

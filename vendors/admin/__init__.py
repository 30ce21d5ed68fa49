"""The vendor registry in the admin, one module per feature (imported here to register them).

Permissions come from the site-wide role layer (governance/config/admin_site.py); every write goes
through a service. Assessment, ShortlistVersion, Response and RiskException are registered in
governance/admin/signoffs.py, once, because their approval (or its revocation) needs the sign-offs.
"""

from vendors.admin import (
    assessments,
    checklist,
    frameworks,
    questionnaires,
    registry,
    shortlist,
    subprocessors,
)

__all__ = [
    "assessments",
    "checklist",
    "frameworks",
    "questionnaires",
    "registry",
    "shortlist",
    "subprocessors",
]

"""Domain errors of the vendor registry.

They are Django ValidationErrors (message plus per-field details), so forms, the admin and
the API's single error handler all report them the same way, and never as a 500.
"""

from django.core.exceptions import ValidationError


class VendorRuleError(ValidationError):
    """A vendor-registry rule refused the requested change."""

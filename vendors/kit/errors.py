"""The one domain-error hierarchy of both apps.

A domain error is a Django ValidationError (a message plus per-field details): forms and the
admin show it, and the API's one error handler turns it into HTTP 400 (409 for a conflict),
never a 500.
"""

from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError


class DomainError(ValidationError):
    """A domain rule refused the requested change."""


class TransitionError(DomainError):
    """A status change that the model's transition table does not allow."""


class ConflictError(DomainError):
    """The change lost a race with another one (HTTP 409): reload and decide again."""


# Failures worth retrying with backoff (the database went away); anything else is a fault of
# the work itself and is not retried.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)

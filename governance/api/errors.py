"""One error shape for the whole API: {"message": str, "details": {field: [str, ...]}}.

Domain errors (Django ValidationErrors raised by services and model validation) become
HTTP 400 in that shape, never a 500; DRF's own errors are reshaped to match.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from vendors.kit.errors import ConflictError


def _django_error_details(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def _first_message(details: Any) -> str | None:
    if isinstance(details, dict):
        for value in details.values():
            found = _first_message(value)
            if found:
                return found
    elif isinstance(details, list):
        for value in details:
            found = _first_message(value)
            if found:
                return found
    elif details:
        return str(details)
    return None


def error_body(message: str, details: Any = None) -> dict[str, Any]:
    """Build the API's error body."""
    return {"message": message, "details": details or {}}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF exception handler producing the single error shape."""
    if isinstance(exc, DjangoValidationError):
        details = _django_error_details(exc)
        message = _first_message(details) or "The request was refused."
        code = (
            status.HTTP_409_CONFLICT
            if isinstance(exc, ConflictError)
            else status.HTTP_400_BAD_REQUEST
        )
        return Response(error_body(message, details), status=code)

    if isinstance(exc, ProtectedError | RestrictedError):
        # Records that others refer to are kept for the audit trail; say so instead of a 500.
        return Response(
            error_body("This record cannot be deleted because other records refer to it."),
            status=status.HTTP_400_BAD_REQUEST,
        )

    if isinstance(exc, DataError):
        # The database refused a value the validation let through (PostgreSQL: a NUL byte in
        # a lookup, an out-of-range number): the request is at fault, not the server.
        return Response(
            error_body("The request contains a value the database cannot store or look up."),
            status=status.HTTP_400_BAD_REQUEST,
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        details = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        message = _first_message(details) or "Invalid input."
        response.data = error_body(message, details)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = error_body(str(detail) or "Request failed.")
    return response


class ErrorSerializer(serializers.Serializer):
    """The single error shape every endpoint returns."""

    message = serializers.CharField()
    details = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))

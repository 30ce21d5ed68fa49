"""Small helpers every service uses (both apps; it lives in the leaf app so vendors can too)."""

import re
from datetime import date
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import CheckConstraint, Model

M = TypeVar("M", bound=Model)


def require(user: Any, perm: str, obj: Any = None) -> None:
    """Refuse unless the user holds the permission (role table and object rules included)."""
    if user is None or not user.has_perm(perm, obj):
        raise PermissionDenied(f"You do not have permission to do this ({perm}).")


def save_validated(obj: M) -> M:
    """Run the model's full validation (fields, clean(), constraints), then save."""
    obj.full_clean()
    obj.save()
    return obj


def validate_checks(obj: Model) -> None:
    """Run the model's check constraints (not its unique ones), raising every message at once.

    For upserts: the unique key is the lookup of the row to correct, not a reason to refuse.
    """
    errors = []
    for constraint in obj._meta.constraints:
        if isinstance(constraint, CheckConstraint):
            try:
                constraint.validate(type(obj), obj)
            except ValidationError as error:
                errors.append(error)
    if errors:
        raise ValidationError(errors)


def parse_id(value: Any, *, digits: int = 9) -> int | None:
    """A database id from user text (ASCII digits only: "²".isdigit() is true), else None."""
    text = str(value if value is not None else "").strip()
    return int(text) if re.fullmatch(rf"[0-9]{{1,{digits}}}", text) else None


def parse_day(value: Any) -> date | None:
    """A day from user text in ISO form (YYYY-MM-DD, ASCII digits), else None."""
    text = str(value if value is not None else "").strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None

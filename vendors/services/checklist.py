"""Writes to the procurement checklist template."""

from typing import Any

from django.db import transaction

from vendors.kit.services import save_validated
from vendors.models import (
    ChecklistItem,
)


@transaction.atomic
def checklist_item_create(**fields: Any) -> ChecklistItem:
    """Add an item to the checklist template."""
    return save_validated(ChecklistItem(**fields))


@transaction.atomic
def checklist_item_update(*, item: ChecklistItem, **fields: Any) -> ChecklistItem:
    """Change a checklist item; open assessments keep the responses they have."""
    for name, value in fields.items():
        setattr(item, name, value)
    return save_validated(item)


@transaction.atomic
def checklist_item_retire(*, item: ChecklistItem) -> ChecklistItem:
    """Retire an item: it stops applying to assessments opened from now on."""
    item.active = False
    return save_validated(item)

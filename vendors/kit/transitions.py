"""Status machines as data, with one guarded entry point and a history row per change.

A model opts in by declaring `TRANSITIONS` ({from: {to, ...}}) and a concrete subclass of
`TransitionRecord`; `transition()` is then the only code that assigns its status.
"""

from typing import Any

from django.conf import settings
from django.db import models

from vendors.kit.errors import TransitionError


class TransitionRecord(models.Model):
    """Abstract history row: who moved what from which status to which, why and when."""

    from_status = models.CharField(max_length=32)
    to_status = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_label} → {self.to_label}"

    def _status_label(self, code: str) -> str:
        """A status in words, as the subject's status field names it (the row keeps the code)."""
        for field in self._meta.fields:
            if field.is_relation and field.name != "actor":
                names = {f.name for f in field.related_model._meta.fields}
                if "status" in names:
                    choices = dict(field.related_model._meta.get_field("status").flatchoices)
                    return str(choices.get(code, code)) if code else "new"
        return code

    @property
    def from_label(self) -> str:
        return self._status_label(self.from_status)

    @property
    def to_label(self) -> str:
        return self._status_label(self.to_status)


def transition(
    obj: models.Model,
    *,
    to: str,
    actor: Any,
    reason: str = "",
    history: type[TransitionRecord],
    subject_field: str,
    status_field: str = "status",
    extra_updates: dict[str, Any] | None = None,
) -> models.Model:
    """Move obj to status `to` if its TRANSITIONS allow it; save and record the change.

    Callers hold a row lock (select_for_update) on obj inside a transaction, so two
    concurrent moves cannot both start from the same status.
    """
    current = getattr(obj, status_field)
    allowed = type(obj).TRANSITIONS.get(current, set())
    if to not in allowed:
        label = type(obj)._meta.verbose_name
        raise TransitionError(
            {status_field: f"The {label} cannot go from {current} to {to}."}, code="transition"
        )
    setattr(obj, status_field, to)
    for name, value in (extra_updates or {}).items():
        setattr(obj, name, value)
    obj.save()
    history.objects.create(
        **{subject_field: obj},
        from_status=current,
        to_status=to,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason,
    )
    return obj

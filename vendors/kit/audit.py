"""Attribute audit-trail entries to the acting user, whatever the entry point.

Requests get their actor from the project's ActorMiddleware (governance/config/middleware.py);
services called from tasks, commands or shells set it from their `actor` argument with
`audited`. audit_bulk_create writes the entries of rows written in bulk.
"""

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from auditlog.context import auditlog_value, set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Attribute audit entries written inside the block to `user`.

    auditlog's own context does not restore the outer context on exit, which would leave a
    request's later writes without an actor; this one puts it back.
    """
    previous = auditlog_value.get(None)
    try:
        with set_actor(user):
            yield
    finally:
        if previous is not None:
            auditlog_value.set(previous)


def audited(service: Callable) -> Callable:
    """Run a keyword-only service with its `actor` as the audit-trail actor."""

    @functools.wraps(service)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = kwargs.get("actor")
        if getattr(actor, "pk", None) is None:
            return service(*args, **kwargs)
        with acting_as(actor):
            return service(*args, **kwargs)

    return wrapper


def audit_bulk_create(
    entries: Iterable[tuple[Model, int, dict]], *, actor: Any = None, batch_size: int = 1000
) -> None:
    """Write the audit entries (object, LogEntry action, changes) of rows written in bulk.

    bulk_create, upserts and raw SQL skip auditlog's model signals; these entries match the
    ones a save() would have written.
    """
    content_types: dict[type, ContentType] = {}

    def entry(obj: Model, action: int, changes: dict) -> LogEntry:
        model = type(obj)
        if model not in content_types:
            content_types[model] = ContentType.objects.get_for_model(model)
        return LogEntry(
            content_type=content_types[model],
            object_pk=str(obj.pk),
            object_id=obj.pk,
            object_repr=str(obj)[:200],
            action=action,
            actor=actor,
            changes=changes,
        )

    LogEntry.objects.bulk_create(
        (entry(obj, action, changes) for obj, action, changes in entries), batch_size=batch_size
    )

"""Attribute audit-trail entries to the acting user, whatever the entry point.

Requests get their actor from governance.audit.ActorMiddleware; services called from tasks,
commands or shells set it from their `actor` argument with `audited`.
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from auditlog.context import auditlog_value, set_actor


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

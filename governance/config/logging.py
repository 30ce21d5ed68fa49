"""Logging for every process (web, workers, beat): one format, and who and what a line is about.

`TOLLGATE_LOG_FORMAT=json` (the production default) writes one JSON object per line on stderr
through python-json-logger; `text` (the default for `make run` and the tests) stays readable.
Every line carries the request id of the work it belongs to, and inside a Celery task the
task's id and name: the request id lives in a context variable that the request middleware sets
(governance/config/middleware.py), that travels in the headers of the tasks a request enqueues
and that the worker sets again while it runs them (governance/config/celery.py).
"""

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.core import RESERVED_ATTRS

REQUEST_ID_HEADER = "X-Request-ID"
# The task message header that carries the request id from the web node to the worker.
REQUEST_ID_TASK_HEADER = "tollgate_request_id"
# An incoming id is reused only when it is short and plain: it is echoed in a header and written
# into every log line, so anything else (newlines, quotes, a megabyte) is replaced by our own.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

# Named as the fields they fill in every log record.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
task_id: ContextVar[str | None] = ContextVar("task_id", default=None)
task_name: ContextVar[str | None] = ContextVar("task_name", default=None)
_CONTEXT = (request_id, task_id, task_name)

FORMATS = ("text", "json")


def safe_request_id(value: Any) -> str | None:
    """The incoming request id if it is safe to reuse (1-128 of A-Z a-z 0-9 . _ : -), else None."""
    if isinstance(value, str) and _SAFE_REQUEST_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    """A fresh request id (32 hex digits)."""
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Stamp each record with the current request id, task id and task name (None outside)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # A value given with `extra=` (the worker's own task lines) wins over the context.
        for var in _CONTEXT:
            if getattr(record, var.name, None) is None:
                setattr(record, var.name, var.get())
        data = getattr(record, "data", None)
        if record.task_id is None and isinstance(data, dict) and "id" in data and "name" in data:
            # Celery's lines about a task outside its run ("received") name it in `data`.
            record.task_id, record.task_name = data["id"], data["name"]
        if record.request_id is None:
            # Django logs a 4xx or 5xx answer (django.request) once the middleware has returned;
            # the request it passes along still knows its id.
            record.request_id = getattr(getattr(record, "request", None), "request_id", None)
        return True


class InlineSvgNoiseFilter(logging.Filter):
    """Drop WeasyPrint's two warnings about the charts a packet embeds, thousands a packet.

    A chart is matplotlib's SVG inline in the packet's HTML: WeasyPrint's HTML cascade reads
    the SVG's presentation styles (fill, stroke, text-anchor ...) as CSS it does not know,
    though its SVG renderer draws them; and every chart names its groups alike (figure_1,
    axes_1 ...), so each of those ids after the first chart's is "defined twice". A quarterly
    packet wrote 22,000 such lines (0.2 s of logging). Every other WeasyPrint warning,
    a duplicate id of the packet's own HTML among them, passes."""

    NOISE = re.compile(
        r"Ignored `(fill|stroke|text-anchor)[a-z-]*: [^`]*` at \d+:\d+, unknown property\."
        # matplotlib's own ids (figure_1, matplotlib.axis_2, clip paths and markers named by
        # ten hex digits) and the groups charts.py names.
        r"|Anchor defined twice: '(?:[A-Za-z0-9.]+_\d+|[mp][0-9a-f]{10}"
        r"|grace|reference|checkpoint|marker|series|stack)'$"
    )

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno == logging.WARNING and self.NOISE.match(str(record.getMessage()))
        )


class TextFormatter(logging.Formatter):
    """The human-readable line: time, level, logger, [request id / task], message."""

    def format(self, record: logging.LogRecord) -> str:
        tags = [getattr(record, name, None) for name in ("request_id", "task_name")]
        record.context = f" [{' '.join(t for t in tags if t)}]" if any(tags) else ""
        return super().format(record)


def logging_config(*, log_format: str, level: str) -> dict:
    """The LOGGING setting for `text` or `json` lines on stderr at `level`."""
    if log_format not in FORMATS:
        raise ImproperlyConfigured(
            f"TOLLGATE_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}."
        )
    formatters = {
        "text": {
            "()": "governance.config.logging.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s%(context)s %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            # The named fields lead every line; whatever a call adds with `extra=` follows
            # (route, status, duration_ms ...). Times are UTC ISO 8601.
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s %(task_name)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
            # Django passes the request with its 4xx/5xx lines; its repr has the full path and
            # query string (which may hold a secret): the id and status are what is kept.
            "reserved_attrs": [*RESERVED_ATTRS, "request"],
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "governance.config.logging.ContextFilter"},
            "inline_svg": {"()": "governance.config.logging.InlineSvgNoiseFilter"},
        },
        "formatters": {log_format: formatters[log_format]},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",  # stderr
                "formatter": log_format,
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # WeasyPrint logs every layout step at INFO; only its warnings matter.
            "weasyprint": {"level": "WARNING", "filters": ["inline_svg"]},
            "weasyprint.progress": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
            # The request middleware writes one line per request with more in it (route, user,
            # duration); runserver's own access line would repeat it.
            "django.server": {"level": "WARNING"},
        },
    }

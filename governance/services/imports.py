"""Running evidence imports: one ImportRun per file or sync, all or nothing, audited.

Commands, the admin and POST /api/v1/imports/ all come here. `import_create` records the run
(and keeps an uploaded file); `import_execute` runs the kind's importer inside one
transaction, then attributes events to teams and refreshes the derived weekly series. A dry
run does the same work and rolls it back, so its counts are what a real run would write.
"""

import hashlib
import logging
import os
import time
from collections.abc import Callable
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from governance.importers import importer_for, prefetcher_for
from governance.importers.base import ImportRejected, ImportResult, LineError
from governance.importers.gateway import gateway_reattribute
from governance.models.evidence import ImportKind, ImportRun, ImportStatus
from governance.services.evidence import attribute_events
from governance.services.model_switches import model_switches_detect
from governance.services.team_metrics import running_pilots_derive, team_metrics_refresh
from vendors.kit.audit import audited
from vendors.kit.errors import TRANSIENT_DB_ERRORS, DomainError

logger = logging.getLogger(__name__)
# Who may import what: the permission each kind needs, besides governance.add_importrun.
# A kind writes the rows its permission names (and what derives from them): membership
# re-attributes every event, and gateway logs become the ledger's inference spend.
KIND_PERMISSIONS = {
    ImportKind.TEAM_MEMBERS: "governance.add_teammember",
    ImportKind.PULL_REQUESTS: "governance.add_pullrequest",
    ImportKind.GITHUB_SYNC: "governance.add_pullrequest",
    ImportKind.GATEWAY_LOGS: "governance.add_gatewaydaily",
    ImportKind.COPILOT_METRICS: "governance.add_copilotorgday",
}
# Kinds that read no file: they page an API.
FILELESS = {ImportKind.GITHUB_SYNC}
# Kinds that change who belongs to which team, so gateway spend logged by person moves.
REATTRIBUTING = {ImportKind.TEAM_MEMBERS, ImportKind.GITHUB_SYNC}
IMPORT_LOCK = 7_470_001  # any constant: the advisory lock that serialises imports


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def progress_key(run_id: int) -> str:
    return f"tollgate:import-progress:{run_id}"


def import_progress(run: ImportRun) -> int:
    """The run's progress in percent: the stored value once finished, the live one meanwhile.

    A running import writes inside its own transaction, invisible to readers until it
    commits, so its live progress goes through the cache.
    """
    if run.status == ImportStatus.RUNNING:
        return int(cache.get(progress_key(run.pk), run.progress))
    return run.progress


def _sha256(stream: IO[bytes]) -> str:
    stream.seek(0)
    digest = hashlib.file_digest(stream, "sha256").hexdigest()
    stream.seek(0)
    return digest


def importable_kinds(user: Any) -> list[str]:
    """The import kinds this user may run."""
    if not (user and user.has_perm("governance.add_importrun")):
        return []
    return [kind for kind, perm in KIND_PERMISSIONS.items() if user.has_perm(perm)]


def _check(actor: Any, kind: str, options: dict) -> None:
    if kind not in ImportKind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(ImportKind.values)}."})
    if kind not in importable_kinds(actor):
        raise PermissionDenied(
            f"You may not import {ImportKind(kind).label.lower()}: "
            "membership and pull requests are for AI PMs and platform, gateway logs and "
            "Copilot reports for platform and finance."
        )
    if kind == ImportKind.GITHUB_SYNC and not options.get("org"):
        raise ValidationError({"org": "A GitHub sync names the organisation."})


@audited
def import_create(
    *,
    kind: str,
    actor: Any,
    upload: File | None = None,
    path: str | None = None,
    options: dict | None = None,
    dry_run: bool = False,
    skip_bad: bool = False,
) -> ImportRun:
    """Record an import to run: an uploaded file is kept; a path (commands) is read in place."""
    options = dict(options or {})
    # A path is read on the server: only a command, through `path`, may name one.
    options.pop("path", None)
    _check(actor, kind, options)
    if kind not in FILELESS and upload is None and path is None:
        raise ValidationError({"file": "Choose a file to import."})
    run = ImportRun(
        kind=kind,
        dry_run=dry_run,
        skip_bad=skip_bad,
        options=options,
        requested_by=actor,
    )
    if upload is not None:
        run.file_name = os.path.basename(upload.name or "upload")[:255]
        run.file_sha256 = _sha256(upload)
        run.file.save(run.file_name, upload, save=False)
    elif path is not None:
        run.file_name = os.path.basename(path)[:255]
        run.options["path"] = os.path.abspath(path)
        with open(path, "rb") as handle:
            run.file_sha256 = _sha256(handle)
    run.save()
    return run


@contextmanager
def _stream(run: ImportRun, fetched: Path | None = None):
    if fetched is not None:
        with open(fetched, "rb") as handle:
            yield handle
    elif run.kind in FILELESS:
        yield None
    elif run.file:
        with run.file.open("rb") as handle:
            yield handle
    else:
        with open(run.options["path"], "rb") as handle:
            yield handle


def import_execute(*, run_id: int, progress: Callable[[int, int], None] | None = None) -> ImportRun:
    """Run a queued import; a duplicate delivery of a running or finished one changes nothing.

    The run is marked running in a short transaction of its own, so pollers see it; the work
    and the outcome then commit together in one transaction that holds the run's row lock.
    A second delivery while the first is alive finds the row locked and leaves; after a
    worker died, the lock is gone with its transaction and the redelivery does the work.
    Imports run one at a time: each replaces derived series that the next one also writes.
    """
    with transaction.atomic():
        # A run whose row is locked is being imported by a live delivery: this one leaves at
        # once rather than hold a worker until that import ends.
        run = ImportRun.objects.select_for_update(skip_locked=True).filter(pk=run_id).first()
        if run is None:
            return ImportRun.objects.get(pk=run_id)
        if run.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            return run
        run.status, run.started_at = ImportStatus.RUNNING, timezone.now()
        run.save(update_fields=["status", "started_at"])

    total = _size(run)

    def report(done: int) -> None:
        # Importers report bytes read; the percentage is against the file's size. Progress is
        # a courtesy: a cache that is down must not fail the import.
        percent = min(99, int(done * 100 / total)) if total else 0
        try:
            cache.set(progress_key(run.pk), percent, 3600)
        except Exception:
            logger.warning("import %s: progress not stored", run.pk, exc_info=True)
        if progress:
            progress(done, total)

    fetched, refused = _prefetch(run, report)
    try:
        with transaction.atomic():
            run = ImportRun.objects.select_for_update(skip_locked=True).filter(pk=run_id).first()
            if run is None or run.status != ImportStatus.RUNNING:
                return ImportRun.objects.get(pk=run_id)
            if refused is not None:
                return _finish(run, ImportResult(errors=[refused]), failed=True)
            try:
                _one_import_at_a_time()
            except ImportBusy:
                busy = LineError(0, "import", "another import kept running; try again later")
                return _finish(run, ImportResult(errors=[busy]), failed=True)
            result, failed = _work(run, report, fetched)
            return _finish(run, result, failed=failed)
    finally:
        if fetched is not None:
            fetched.unlink(missing_ok=True)


def _prefetch(run: ImportRun, report: Callable[[int], None]) -> tuple[Path | None, Any]:
    """Read a remote source into a file before any transaction opens (network waits must not
    hold the import lock); returns (the file, None) or (None, the LineError that refused it)."""
    prefetch = prefetcher_for(run.kind)
    if prefetch is None:
        return None, None
    try:
        return prefetch(run, progress=report), None
    except LineError as error:
        return None, error
    except TRANSIENT_DB_ERRORS:
        raise
    except Exception as error:
        logger.exception("import %s: reading the source failed", run.pk)
        return None, _unexpected(error)


class ImportBusy(Exception):
    """Another import held the import lock for longer than the wait allows."""


def _one_import_at_a_time() -> None:
    # SQLite serialises writers anyway; PostgreSQL needs the lock (an advisory lock held to
    # the end of the transaction). The wait is bounded, so an import that never ends cannot
    # hold every later one (and the request or worker that runs it) for ever.
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + settings.TOLLGATE_IMPORT_LOCK_WAIT
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [IMPORT_LOCK])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() >= deadline:
                raise ImportBusy
            time.sleep(0.5)


def _work(
    run: ImportRun, report: Callable[[int], None], fetched: Path | None = None
) -> tuple[ImportResult, bool]:
    """Import inside a savepoint: a dry run or a refusal rolls the data back, not the run."""
    result = ImportResult()
    try:
        with _stream(run, fetched) as stream, transaction.atomic():
            result = importer_for(run.kind)(run, stream, progress=report)
            attribute_events()
            if run.kind in REATTRIBUTING:
                gateway_reattribute(run, result)
            _report_unattributed(run, result)
            team_metrics_refresh()
            if run.kind == ImportKind.GATEWAY_LOGS or run.kind in REATTRIBUTING:
                switches = model_switches_detect()
                if switches:
                    result.report["model_switches"] = [str(s) for s in switches]
            derived = running_pilots_derive(actor=run.requested_by)
            kept = sum(counts["kept"] for counts in derived.values())
            if kept:
                result.report["measurements_kept_by_hand"] = kept
            if run.dry_run:
                raise _DryRun
    except _DryRun:
        return result, False
    except ImportRejected as rejected:
        return ImportResult(rows_read=rejected.rows_read, errors=rejected.errors), True
    except LineError as error:
        return ImportResult(errors=[error]), True
    except UnicodeDecodeError:
        return ImportResult(errors=[LineError(1, "file", "not UTF-8 text")]), True
    except TRANSIENT_DB_ERRORS:
        raise  # the task retries; the run stays running until then
    except Exception as error:
        # A fault of ours, or of a source that answered nonsense: the data is rolled back, the
        # run says so, and the traceback goes to the log rather than to the person.
        logger.exception("import %s failed", run.pk)
        return ImportResult(errors=[_unexpected(error)]), True
    return result, False


def _unexpected(error: Exception) -> LineError:
    return LineError(
        0, "import", f"the import stopped on an unexpected error ({type(error).__name__})"
    )


def import_fail(*, run_id: int, error: BaseException) -> None:
    """Mark a run failed when its task gave up (retries exhausted), so none stays running."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if run.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            message = f"the import could not finish ({type(error).__name__})"
            _finish(run, ImportResult(errors=[LineError(0, "import", message)]), failed=True)


def _report_unattributed(run: ImportRun, result: ImportResult) -> None:
    """Name the authors and Copilot users of this run that no team membership covers."""
    from collections import Counter

    from django.db.models import Count

    from governance.models import CopilotUserDay, PullRequest

    for kind, model, field in (
        ("unknown_authors", PullRequest, "author"),
        ("unknown_copilot_users", CopilotUserDay, "login"),
    ):
        counts = Counter(
            dict(
                model.objects.filter(import_run=run, team__isnull=True)
                .order_by()
                .values_list(field)
                .annotate(n=Count("pk"))
                .values_list(field, "n")
            )
        )
        result.unknown(kind, counts)


def _size(run: ImportRun) -> int:
    try:
        if run.file:
            return run.file.size
        if run.options.get("path"):
            return os.path.getsize(run.options["path"])
    except OSError:
        return 0
    return 0


@audited
def _finish_audited(*, run: ImportRun, actor: Any) -> None:
    run.save()


def _finish(run: ImportRun, result: ImportResult, *, failed: bool) -> ImportRun:
    run.status = ImportStatus.FAILED if failed else ImportStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.progress = 100
    run.rows_read = result.rows_read
    run.created = 0 if failed else result.created
    run.updated = 0 if failed else result.updated
    run.skipped = result.skipped
    run.errors = [e.as_dict() for e in result.errors]
    run.report = result.report
    _finish_audited(run=run, actor=run.requested_by)
    with suppress(Exception):
        cache.delete(progress_key(run.pk))
    if failed and not run.dry_run and run.requested_by is not None:
        _tell_failed(run)
    return run


def _tell_failed(run: ImportRun) -> None:
    """Whoever started an import hears that it failed, and where its errors are listed."""
    from django.urls import reverse

    from governance.choices import NotificationKind
    from governance.services.notifications import notify

    notify(
        users=[run.requested_by],
        kind=NotificationKind.FAILED,
        title=f"Import failed: {run.get_kind_display()} {run.file_name}".strip()[:200],
        body=f"{len(run.errors)} problem(s) stopped the import; nothing was written. Read them, "
        "fix the file and import it again.",
        link=reverse("admin:governance_importrun_change", args=[run.pk]),
    )


IN_FLIGHT = (ImportStatus.QUEUED, ImportStatus.RUNNING)
# The audit entry of a re-queue is marked so, and counted against TOLLGATE_STUCK_MAX_ATTEMPTS.
REQUEUED = "requeued"


def _audit_entries(run_ids: list[int] | None = None) -> QuerySet[LogEntry]:
    entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(ImportRun))
    return entries if run_ids is None else entries.filter(object_id__in=run_ids)


def imports_stuck(*, before: datetime) -> list[int]:
    """Ids of imports queued or running whose last change is older than `before`.

    An import has no history table: its audit trail is its history, so its last change is its
    newest audit entry (or when it was created or started, whichever is later).
    """
    last_entry = (
        _audit_entries()
        .filter(object_id=OuterRef("pk"))
        .order_by("-timestamp")
        .values("timestamp")[:1]
    )
    return list(
        ImportRun.objects.filter(status__in=IN_FLIGHT)
        .annotate(
            moved=Greatest(
                "created_at",
                Coalesce("started_at", "created_at"),
                Coalesce(Subquery(last_entry), "created_at"),
            )
        )
        .filter(moved__lt=before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _requeue(run: ImportRun, *, actor: Any, reason: str) -> ImportRun:
    # One audit entry per re-queue, with its reason (a plain save would log the status alone).
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.QUEUED)
    LogEntry.objects.log_create(
        run,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        changes={"status": [run.status, ImportStatus.QUEUED]},
        additional_data={REQUEUED: True, "reason": reason},
        actor=actor if getattr(actor, "pk", None) else None,
    )
    run.status = ImportStatus.QUEUED
    import_enqueue(run)
    return run


@transaction.atomic
def import_requeue_stuck(*, run_id: int, before: datetime, max_attempts: int) -> str:
    """Queue again an import that has not moved since `before` (its worker or message was lost);
    one already re-queued `max_attempts` times is failed instead.

    Returns what was done: "requeued", "failed", or "" when it is alive or moved meanwhile.
    """
    # A live import holds its row lock for the whole import: skipped, however long it runs.
    run = ImportRun.objects.select_for_update(skip_locked=True).filter(pk=run_id).first()
    if run is None or run.status not in IN_FLIGHT or run_id not in imports_stuck(before=before):
        return ""
    requeued = _audit_entries([run.pk]).filter(**{f"additional_data__{REQUEUED}": True}).count()
    if requeued >= max_attempts:
        message = f"its worker was lost {requeued + 1} times; import the file again"
        _finish(run, ImportResult(errors=[LineError(0, "import", message)]), failed=True)
        return "failed"
    _requeue(run, actor=None, reason=f"re-queued: stuck {run.status}")
    return "requeued"


@audited
@transaction.atomic
def import_retry(*, run: ImportRun, actor: Any) -> ImportRun:
    """Queue again an import stuck in flight (its worker lost); a finished one is final."""
    from governance.services.sweep import stuck_cutoff

    _check(actor, run.kind, run.options)  # who may run this kind may retry it
    locked = ImportRun.objects.select_for_update(skip_locked=True).filter(pk=run.pk).first()
    if locked is None:
        raise DomainError(f"Import #{run.pk} is running; it is not stuck.")
    run = locked
    if run.status not in IN_FLIGHT:
        raise DomainError(
            f"Import #{run.pk} {run.get_status_display().lower()}; a finished import is not "
            "run again (import the file again), only one stuck in flight is retried."
        )
    if run.pk not in imports_stuck(before=stuck_cutoff()):
        raise DomainError(
            f"Import #{run.pk} is {run.get_status_display().lower()}; it may be retried once it "
            f"has not moved for {settings.TOLLGATE_STUCK_AFTER // 60} minutes."
        )
    return _requeue(run, actor=actor, reason="retry requested: stuck in flight")


def import_enqueue(run: ImportRun) -> None:
    """Hand a recorded run to a worker once the transaction that recorded it commits."""
    from governance.tasks import run_import

    transaction.on_commit(lambda: run_import.delay(run.pk))

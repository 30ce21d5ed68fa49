"""Response caching that cannot serve stale data.

Every SQL statement that writes a table of the apps in ``PAGE_CACHE_APPS`` bumps that table's
*generation* in the shared cache, and the generation of any table (``ANY_TABLE``), once the
write is committed: right after the statement in autocommit, at the commit (the first
on-commit callback) inside a transaction. A connection that has written in a transaction it
has not committed caches and serves nothing until it commits or rolls back, nor does a
request that has written. A cached page is keyed on the any-table generation, the user, the
CSRF secret, the date, the language and the full URL; ``GenerationMiddleware`` reads the
generation before the user or any data is loaded. A narrower value (a user's
permissions) is keyed on the generations of just the tables it reads. So a write to anything
a page could show changes the key and the next request renders afresh: the cache only saves
re-rendering data that did not change. ``PAGE_CACHE_TTL`` bounds what a lost bump (a crash
between a commit and its bump, a cache outage) could leave behind.

The generations live in the ``default`` cache, which must be shared by every process that
writes (web, Celery, management commands): ``PAGE_CACHE`` is on by default only when the
cache is Redis or Memcached, never with the per-process local-memory cache. Keys carry the
database they describe (``namespace``) and, for pages, the code that rendered them
(``release``).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from functools import cache as memoize
from functools import lru_cache, wraps
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpResponse
from django.utils import timezone, translation

log = logging.getLogger(__name__)
# How many bumps this thread has made: a request that wrote is neither cached nor served.
_thread = threading.local()

# The target table of INSERT / UPDATE / DELETE / MERGE, wherever it sits in a statement (a CTE
# may write several), schema-qualified or not, SQLite's conflict clauses included (INSERT OR
# IGNORE INTO ...). "DO UPDATE SET" yields "SET", which is no table and is ignored.
WRITE_TARGET = re.compile(
    r"\b(?:INSERT\s+(?:OR\s+[A-Z]+\s+)?INTO|(?:REPLACE|MERGE)\s+INTO|UPDATE(?:\s+OR\s+[A-Z]+)?"
    r"|DELETE\s+FROM)\s+(?:ONLY\s+)?"
    r'(?:"?[A-Za-z_][A-Za-z0-9_]*"?\s*\.\s*)?"?([A-Za-z_][A-Za-z0-9_]*)"?',
    re.IGNORECASE,
)
# TRUNCATE takes a list of tables (Django's flush truncates them all in one statement).
TRUNCATE = re.compile(r"\bTRUNCATE\b", re.IGNORECASE)
GENERATION_KEY = "tollgate:{}:gen:{}"
PAGE_KEY = "tollgate:{}:page:{}"


def shared_cache(backend: str) -> bool:
    """Whether a cache backend is one store for every process and host, with an atomic incr."""
    return backend.endswith("RedisCache") or "memcached" in backend.lower()


def check_shared_cache(app_configs=None, **kwargs):
    """System check: the page cache needs a cache every process shares, with an atomic incr."""
    from django.core.checks import Warning

    backend = settings.CACHES["default"]["BACKEND"]
    if settings.PAGE_CACHE and not shared_cache(backend):
        return [
            Warning(
                f"PAGE_CACHE is on but the cache ({backend}) is not Redis or Memcached: a write "
                "made by the worker or another process might not reach the cached pages.",
                hint="Set CACHE_URL to a shared cache (redis://...) or PAGE_CACHE=false.",
                id="tollgate.W001",
            )
        ]
    return []


@memoize
def tracked_tables() -> frozenset[str]:
    """Every table of the apps whose data pages show, with their many-to-many tables."""
    return frozenset(
        model._meta.db_table
        for label in settings.PAGE_CACHE_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    )


def tables_written(sql) -> frozenset[str]:
    """The tracked tables a statement may write; all of them when the SQL can't be read."""
    if not isinstance(sql, str):
        # A composed psycopg statement: assume the worst rather than miss a write.
        return tracked_tables()
    if ";" not in sql and sql.lstrip()[:6].upper() in ("SELECT", "SAVEPO", "RELEAS"):
        return frozenset()
    if TRUNCATE.search(sql):
        return tracked_tables()
    return frozenset(m.lower() for m in WRITE_TARGET.findall(sql)) & tracked_tables()


@lru_cache(maxsize=8)
def _namespace_of(*identity: str) -> str:
    return hashlib.sha256("\x1f".join(identity).encode()).hexdigest()[:16]


def namespace() -> str:
    """The database the keys belong to: two databases sharing a cache never share a key."""
    db = connections[DEFAULT_DB_ALIAS].settings_dict
    # Read each time: the test runner renames the database after settings are loaded.
    return _namespace_of(db["ENGINE"], str(db["HOST"]), str(db["PORT"]), str(db["NAME"]))


@memoize
def release() -> str:
    """The code that renders pages: a page cached by one release is never served by another."""
    if settings.TOLLGATE_RELEASE:
        return settings.TOLLGATE_RELEASE
    digest = hashlib.sha256()
    root = Path(settings.BASE_DIR)
    for folder in ("governance", "vendors", "templates"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".html") and path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# The generation every write bumps: what a page that may read any tracked table is keyed on.
ANY_TABLE = "*"


def bump(tables) -> None:
    """Advance each table's generation, so every key that named it is left behind."""
    _thread.bumps = getattr(_thread, "bumps", 0) + 1
    ns = namespace()
    for table in (*tables, ANY_TABLE):
        key = GENERATION_KEY.format(ns, table)
        try:
            try:
                cache.incr(key)
            except ValueError:
                # Never set or evicted: start at a fresh epoch no earlier key can have used,
                # and count this write even if another process created it meanwhile.
                if not cache.add(key, time.time_ns(), timeout=None):
                    cache.incr(key)
        except Exception:
            log.exception(
                "page cache: could not bump %s; cached pages expire in %ss",
                table,
                settings.PAGE_CACHE_TTL,
            )


def bump_all(**kwargs) -> None:
    """Leave every cached page behind (after migrate, or a restore made outside Django)."""
    bump(tracked_tables())


class _CommitBump:
    """One on-commit callback per transaction, collecting the tables it wrote."""

    def __init__(self) -> None:
        self.tables: set[str] = set()

    def __call__(self) -> None:
        bump(self.tables)
        self.tables.clear()


def _open_transaction(connection) -> bool:
    """Whether a transaction that can still roll back is open (a test case's own never is)."""
    return connection.in_atomic_block and any(
        not block._from_testcase for block in connection.atomic_blocks
    )


class WriteTracker:
    """A connection execute wrapper: bump the generations of the tables a statement wrote."""

    def __call__(self, execute, sql, params, many, context):
        try:
            return execute(sql, params, many, context)
        finally:
            # Even when it failed: part of an executemany may have committed. A bump too many
            # only renders a page afresh.
            tables = tables_written(sql)
            if tables:
                connection = context["connection"]
                if _open_transaction(connection):
                    # Nobody else sees the rows before the commit, and this connection caches
                    # nothing meanwhile (uncommitted_writes): one bump at the commit suffices.
                    self._bump_at_commit(connection, tables)
                else:
                    # Autocommit: the statement has committed. (Under manual transaction
                    # management there is no commit hook: bump now; the connection caches
                    # nothing until autocommit is back, see uncommitted_writes.)
                    bump(tables)

    @staticmethod
    def _bump_at_commit(connection, tables) -> None:
        pending = getattr(connection, "_tollgate_commit_bump", None)
        # A rolled-back savepoint drops the callbacks registered inside it: register anew then.
        if pending is None or not any(f is pending for _, f, _ in connection.run_on_commit):
            pending = _CommitBump()
            connection._tollgate_commit_bump = pending
            entry = (set(connection.savepoint_ids), pending, True)  # Django's own format
            if any(block._from_testcase for block in connection.atomic_blocks):
                # captureOnCommitCallbacks slices the list by position: keep Django's order.
                connection.run_on_commit.append(entry)
            else:
                # First in line and robust: a callback that fails (a broker down) stops the
                # ones after it, and the data is committed by then.
                connection.run_on_commit.insert(0, entry)
        pending.tables.update(tables)


def track_writes(sender, connection, **kwargs) -> None:
    """connection_created receiver: install the write tracker once per connection object."""
    if not any(isinstance(w, WriteTracker) for w in connection.execute_wrappers):
        connection.execute_wrappers.append(WriteTracker())


def generations(tables) -> list[int]:
    """The current generation of each table; a missing one starts a fresh epoch."""
    ns = namespace()
    keys = [GENERATION_KEY.format(ns, t) for t in sorted(tables)]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, time.time_ns(), timeout=None)
            found[key] = cache.get(key)
    return [found[key] for key in keys]


def uncommitted_writes() -> bool:
    """Whether this connection has written in a transaction that has not committed yet.

    Such a transaction sees rows nobody else may ever see (it can still roll back), and its
    writes are not in the generations until it commits: nothing is cached or served inside it.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.connection is not None and not (
        connection.autocommit or connection.in_atomic_block
    ):
        return True  # manual transaction management: whatever it wrote may roll back
    pending = getattr(connection, "_tollgate_commit_bump", None)
    if (
        pending is None
        or not pending.tables
        or not connection.in_atomic_block
        or not any(f is pending for _, f, _ in connection.run_on_commit)
    ):
        return False
    if _open_transaction(connection):
        return True
    # Only a test case's transaction, which never commits, is left around the writes: they
    # are as committed as a test's writes get, so they count now.
    pending()
    return False


class GenerationMiddleware:
    """Reads the any-table generation before anything else of the request is read.

    Placed before AuthenticationMiddleware: a page must be keyed on a generation read before
    the user (whose flags and groups the page depends on) and before any data, so a write
    committed in between leaves the page under an older key, never a newer one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.PAGE_CACHE and request.method == "GET":
            try:
                # Counts a test's writes first (see uncommitted_writes); then the generation.
                if not uncommitted_writes():
                    request._page_generation = (
                        generations([ANY_TABLE])[0],
                        getattr(_thread, "bumps", 0),
                    )
            except Exception:
                log.exception("page cache: generation unread; rendering afresh")
        return self.get_response(request)


def _key(request, name: str, csrf: bool) -> str | None:
    """The page's cache key, or None when this request must be rendered afresh."""
    if not settings.PAGE_CACHE or request.method != "GET" or uncommitted_writes():
        return None
    mark = getattr(request, "_page_generation", None)
    # No generation read up front, or this request has written since: render afresh.
    if mark is None or mark[1] != getattr(_thread, "bumps", 0):
        return None
    user = request.user
    if not user.is_authenticated:
        return None
    secret = ""
    if csrf:
        # Forms in a cached page carry a token for this browser's CSRF secret only.
        secret = request.META.get("CSRF_COOKIE") or ""
        if not secret:
            return None
        # A flash message is shown once, by the next page: never cache or serve over one.
        if len(get_messages(request)):
            return None
    parts = [
        name,
        # Absolute links (API pagination) name the host they were asked on.
        request.scheme,
        request.get_host(),
        request.get_full_path(),
        str(user.pk),
        secret,
        timezone.localdate().isoformat(),
        translation.get_language() or "",
        release(),
        str(mark[0]),
    ]
    return PAGE_KEY.format(namespace(), hashlib.sha256("\x1f".join(parts).encode()).hexdigest())


def _key_or_none(request, name: str, csrf: bool) -> str | None:
    """``_key``, or None when the cache cannot be read: the page is then rendered afresh."""
    try:
        return _key(request, name, csrf)
    except Exception:
        log.exception("page cache: key failed; rendering afresh")
        return None


def remembered(name: str, parts, tables, compute):
    """``compute()``'s value, kept in the cache until one of ``tables`` is written."""
    if not settings.PAGE_CACHE or uncommitted_writes():
        return compute()
    try:
        stamp = "\x1f".join([name, *map(str, parts), *map(str, generations(tables))])
        key = PAGE_KEY.format(namespace(), hashlib.sha256(stamp.encode()).hexdigest())
    except Exception:
        log.exception("page cache: key failed; computing afresh")
        return compute()
    hit = _get(key)
    if hit is not None:
        return hit
    value = compute()
    _set(key, value)
    return value


def _get(key):
    try:
        return cache.get(key)
    except Exception:
        log.exception("page cache: read failed; rendering afresh")
        return None


def _set(key, value) -> None:
    try:
        cache.set(key, value, timeout=settings.PAGE_CACHE_TTL)
    except Exception:
        log.exception("page cache: write failed")


def cached_response(request, name: str, render):
    """``render()``'s response, or the cached one while no table it could read has changed."""
    key = _key_or_none(request, name, csrf=True)
    if key is None:
        return render()
    hit = _get(key)
    if hit is not None:
        status, content_type, content = hit
        return HttpResponse(content, content_type=content_type, status=status)
    response = render()
    if callable(getattr(response, "render", None)) and not response.is_rendered:
        response.render()
    # csrf_protect views (the admin's) re-send the CSRF cookie the browser already holds.
    cookies = set(response.cookies) - {settings.CSRF_COOKIE_NAME}
    if response.status_code == 200 and not response.streaming and not cookies:
        _set(key, (response.status_code, response["Content-Type"], response.content))
    return response


def cached_page(view):
    """Serve a GET page from the cache while no table it could read has changed."""
    name = f"{view.__module__}.{view.__qualname__}"

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return cached_response(request, name, lambda: view(request, *args, **kwargs))

    return wrapper


def cached_data(request, name: str, compute):
    """An API response's data from the cache while no table it could read has changed.

    ``compute`` returns a DRF Response; only its data is kept, so content negotiation and
    rendering still happen per request.
    """
    from rest_framework.response import Response

    key = _key_or_none(request, name, csrf=False)
    if key is None:
        return compute()
    hit = _get(key)
    if hit is not None:
        return Response(hit)
    response = compute()
    if response.status_code == 200:
        _set(key, response.data)
    return response

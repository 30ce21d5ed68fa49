"""Pull-request history straight from GitHub's REST API, incrementally.

run.options: "org" (required); "repos" (owner/name list; else every repository of the org);
"since" (ISO time: nothing updated before it is read); "full" (ignore the incremental cursor);
"teams" (also record team membership from the org's teams).

For each repository the pulls are listed newest-updated first and read until one is older than
the cursor, the latest updated_at already stored for that repository. The list endpoint lacks
additions, deletions and changed_files, so every changed pull costs three more calls: its
detail, its reviews and its commits (a page each up to 100). A first sync of a repository with
P pulls therefore makes about 3P + P/100 calls - 5,000 an hour is GitHub's limit for a token,
so a large first sync waits for the limit to reset (the waits are capped, see below) or is
better done from files (`import_pull_requests`). Escaped defects are the issues labelled
TOLLGATE_DEFECT_LABEL updated since the cursor.

Settings (each falls back to the environment variable of the same name):
GITHUB_API_URL (default https://api.github.com), GITHUB_TOKEN (sent as a Bearer token),
TOLLGATE_GITHUB_MAX_WAIT (seconds, default 900: the longest single wait for a rate limit).

Records are written by the file importer's code (github.write_records), repository by
repository, inside the import service's transaction. A failed call (other than a rate limit,
which is waited out) fails the run with a LineError whose field is "api", whose message names
the URL and status, and whose line is the number of the call.
"""

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
import orjson
from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from governance.importers.base import (
    UNREADABLE,
    Errors,
    ImportResult,
    LineError,
    Progress,
    as_datetime,
    json_records,
)
from governance.importers.github import (
    Parser,
    Records,
    defect_label,
    write_records,
)
from governance.models import ImportRun, Team, TeamMember
from governance.models.evidence import PullRequest
from vendors.kit.audit import audit_bulk_create

DEFAULT_API_URL = "https://api.github.com"
# The key of the fetched file's marker lines (GitHub's own records never carry it).
MARKER = "tollgate_sync"
DEFAULT_MAX_WAIT = 900.0
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
PER_PAGE = 100
ATTEMPTS = 5
# Below this many calls left, calls are spread evenly over the time until the limit resets,
# so a long sync slows down instead of stopping dead on a 403.
LOW_REMAINING = 50
RETRY_STATUSES = {500, 502, 503, 504}


def _setting(name: str, default: Any) -> Any:
    """A setting, else the environment variable of the same name, else the default."""
    value = getattr(settings, name, None)
    if value in (None, ""):
        value = os.environ.get(name, default)
    return value


class GitHub:
    """A small GitHub REST client: timeouts, Link pagination, rate-limit waits."""

    def __init__(self, *, base_url: str, token: str, max_wait: float) -> None:
        """One connection pool, GitHub's JSON media type, the token if there is one."""
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "tollgate",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=TIMEOUT)
        self.max_wait = max_wait
        self.calls = 0

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def get(self, url: str, params: dict | None = None) -> httpx.Response:
        """GET one URL, waiting out rate limits; any other failure is a LineError ("api")."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self.http.get(url, params=params)
            except httpx.HTTPError as error:
                raise LineError(self.calls + 1, "api", f"GET {url}: {error!r}") from error
            self.calls += 1
            wait = self._rate_limited(response)
            if wait is None and response.status_code in RETRY_STATUSES and attempt < ATTEMPTS:
                wait = min(float(2**attempt), self.max_wait)
            if wait is not None and attempt < ATTEMPTS:
                time.sleep(wait)
                continue
            if response.is_error:
                raise LineError(
                    self.calls, "api", f"GET {response.url}: HTTP {response.status_code}"
                )
            self._pace(response)
            return response
        raise LineError(self.calls, "api", f"GET {url}: still rate-limited")

    def _rate_limited(self, response: httpx.Response) -> float | None:
        """Seconds to wait before retrying a rate-limited answer; None if it is not one."""
        if response.status_code not in (403, 429):
            return None
        headers = response.headers
        if headers.get("retry-after"):
            try:
                return min(max(float(headers["retry-after"]), 0.0), self.max_wait)
            except ValueError:
                return self.max_wait
        if headers.get("x-ratelimit-remaining") == "0":
            return self._until_reset(headers)
        # A 403 that names no limit is a permission problem: not worth a retry.
        return None

    def _until_reset(self, headers: httpx.Headers) -> float:
        """Seconds until x-ratelimit-reset (an epoch time), capped at max_wait."""
        try:
            reset = float(headers.get("x-ratelimit-reset", "0"))
        except ValueError:
            return self.max_wait
        return min(max(reset - time.time(), 0.0), self.max_wait)

    def _pace(self, response: httpx.Response) -> None:
        """Sleep a little when few calls are left, spreading them until the reset."""
        remaining = response.headers.get("x-ratelimit-remaining")
        if remaining is None or not remaining.isdigit() or int(remaining) >= LOW_REMAINING:
            return
        time.sleep(self._until_reset(response.headers) / max(int(remaining), 1))

    def pages(self, url: str, params: dict | None = None) -> Iterator[list]:
        """Yield each page of a list endpoint, following Link rel="next"."""
        params = {"per_page": PER_PAGE, **(params or {})}
        next_url: str | None = url
        while next_url:
            response = self.get(next_url, params=params)
            page = response.json()
            if not isinstance(page, list):
                raise LineError(self.calls, "api", f"GET {response.url}: not a JSON list")
            yield page
            next_url = response.links.get("next", {}).get("url")
            # The next link carries the query string already.
            params = None


def prefetch_github(run: ImportRun, *, progress: Progress) -> Path:
    """Page the API, outside any transaction, into a JSON Lines file that sync_github writes.

    Rate-limit waits can last minutes; holding the import's transaction (and its lock) open
    through them would stall every other import. The file holds what the API answered, in
    its own shapes, with a marker line before each repository and one per GitHub team.
    """
    options = run.options
    org = str(options["org"])
    github = GitHub(
        base_url=str(_setting("GITHUB_API_URL", DEFAULT_API_URL)),
        token=str(_setting("GITHUB_TOKEN", "")),
        max_wait=float(_setting("TOLLGATE_GITHUB_MAX_WAIT", DEFAULT_MAX_WAIT)),
    )
    try:
        since = as_datetime(options["since"]) if options.get("since") else None
    except ValueError as error:
        raise LineError(1, "since", str(error)) from error
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - handed to the caller as a path
        "wb", prefix=f"tollgate-sync-{run.pk}-", suffix=".jsonl", delete=False
    )
    written = 0

    def write(record: Any) -> None:
        nonlocal written
        handle.write(orjson.dumps(record) + b"\n")
        written += 1
        if written % 100 == 0:
            progress(written)

    try:
        with handle:
            repos = options.get("repos") or [
                repo["full_name"]
                for page in github.pages(f"/orgs/{org}/repos", {"type": "all"})
                for repo in page
            ]
            for repo in repos:
                write({MARKER: "repo", "repo": str(repo)})
                _sync_repo(github, write, repo=str(repo), since=since, options=options)
            if options.get("teams"):
                for slug, logins in _team_logins(github, org=org):
                    write({MARKER: "team", "slug": slug, "logins": sorted(logins)})
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    finally:
        github.close()
    return Path(handle.name)


def sync_github(run: ImportRun, stream: IO[bytes], *, progress: Progress) -> ImportResult:
    """Write what prefetch_github fetched: each repository's records as the file importer
    writes them, then the teams' membership."""
    errors, result = Errors(run.skip_bad), ImportResult()
    records: Records | None = None
    teams: dict[str, set[str]] = {}
    parser = None
    for _line, record in json_records(stream, errors):
        marker = record.get(MARKER) if isinstance(record, dict) else None
        if marker == "repo":
            if records is not None:
                write_records(run, records, errors=errors, result=result)
                progress(stream.tell())
            records = Records()
            parser = Parser(records=records, errors=errors, repo=str(record["repo"]).casefold())
        elif marker == "team":
            teams[str(record["slug"]).casefold()] = {str(x).casefold() for x in record["logins"]}
        elif record is not UNREADABLE and parser is not None:
            # Numbered in fetch order, as the lines of the fetched file are.
            result.rows_read += 1
            parser.add(result.rows_read, record)
    if records is not None:
        write_records(run, records, errors=errors, result=result)
    if run.options.get("teams"):
        _apply_teams(run, result, teams)
    return result


def _sync_repo(
    github: GitHub,
    add: Callable[[Any], None],
    *,
    repo: str,
    since: datetime | None,
    options: dict,
) -> None:
    """Read one repository's changed pulls (with details, reviews, commits) and defects."""
    cursor = None
    if not options.get("full"):
        cursor = PullRequest.objects.filter(repo=repo.casefold()).aggregate(
            latest=Max("updated_at")
        )["latest"]
    bound = max(filter(None, (cursor, since)), default=None)
    params = {"state": "all", "sort": "updated", "direction": "desc"}
    for page in github.pages(f"/repos/{repo}/pulls", params):
        done = False
        for listed in page:
            # Equal times are read again: another pull may share the cursor's second.
            if bound and _updated(listed) < bound:
                done = True
                break
            number = listed.get("number")
            add(github.get(f"/repos/{repo}/pulls/{number}").json())
            for reviews in github.pages(f"/repos/{repo}/pulls/{number}/reviews"):
                for review in reviews:
                    add(review)
            commits = [
                commit
                for chunk in github.pages(f"/repos/{repo}/pulls/{number}/commits")
                for commit in chunk
            ]
            add({"pull_number": number, "repo": repo, "commits": commits})
        if done:
            break
    issue_params = {"labels": defect_label(), "state": "all"}
    if bound:
        issue_params["since"] = bound.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for page in github.pages(f"/repos/{repo}/issues", issue_params):
        for issue in page:
            add(issue)


def _updated(listed: Any) -> datetime:
    """A listed pull's updated_at; an unreadable one sorts as new (the parser names it)."""
    try:
        return as_datetime(listed.get("updated_at"))
    except (ValueError, AttributeError):
        return datetime.max.replace(tzinfo=UTC)


def _team_logins(github: GitHub, *, org: str) -> Iterator[tuple[str, set[str]]]:
    """Each GitHub team of the org that names a Tollgate team, with its members' logins."""
    slugs = set(Team.objects.exclude(github_slug="").values_list("github_slug", flat=True))
    wanted = {slug.casefold() for slug in slugs}
    for page in github.pages(f"/orgs/{org}/teams"):
        for listed in page:
            slug = str(listed.get("slug") or "")
            if slug.casefold() not in wanted:
                continue
            yield (
                slug,
                {
                    str(member["login"]).casefold()
                    for members in github.pages(f"/orgs/{org}/teams/{slug}/members")
                    for member in members
                    if isinstance(member, dict) and member.get("login")
                },
            )


def _apply_teams(run: ImportRun, result: ImportResult, members: dict[str, set[str]]) -> None:
    """Make each Team's open memberships match its GitHub team today: people new to the team
    join from today, people no longer in it leave yesterday (the API has no history, so
    earlier dates come from a membership file)."""
    teams = {team.github_slug.casefold(): team for team in Team.objects.exclude(github_slug="")}
    today = timezone.localdate()
    created, ended = [], []
    for slug, logins in members.items():
        team = teams.get(slug)
        if team is None:
            continue
        open_now = list(
            TeamMember.objects.filter(team=team, valid_from__lte=today).exclude(valid_to__lt=today)
        )
        current = {member.login for member in open_now}
        created += [
            TeamMember(login=login, team=team, valid_from=today, import_run=run)
            for login in sorted(logins - current)
        ]
        for member in open_now:
            if member.login not in logins:
                # Left: the membership ends the day before, or is dropped if it began today.
                member.valid_to = max(member.valid_from, today - timedelta(days=1))
                ended.append(member)
    TeamMember.objects.bulk_create(created, batch_size=1000)
    TeamMember.objects.bulk_update(ended, ["valid_to"], batch_size=1000)
    audit_bulk_create(
        [(m, 0, {"login": [None, m.login], "team": [None, str(m.team)]}) for m in created]
        + [(m, 1, {"valid_to": ["None", str(m.valid_to)]}) for m in ended],
        actor=run.requested_by,
    )
    result.created += len(created)
    result.updated += len(ended)

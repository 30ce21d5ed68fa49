"""Pull-request history from GitHub's REST shapes: pulls, reviews, commits and issues.

Input is what `gh api --paginate` writes (JSON arrays back to back, one per page) or JSON
Lines; one file may mix the shapes, which are told apart by their keys:

* a pull (`gh api repos/O/R/pulls/N`, or the list endpoint, which lacks additions, deletions
  and changed_files; a field a record lacks keeps its stored value): has "head" and "base";
* a review (`gh api repos/O/R/pulls/N/reviews`): has "pull_request_url" (…/pulls/N) and
  "state"; PENDING reviews (not submitted yet) are ignored;
* a commit: the objects of `gh api repos/O/R/pulls/N/commits` with the pull's number added,
  one per line - `gh api --paginate repos/O/R/pulls/N/commits | jq -c '.[] + {pull_number: N}'`
  - or a wrapper {"pull_number": N, "commits": [...]}. Only the Co-authored-by trailers of
  "commit"."message" are read; they are added to the pull's co_authors;
* an issue (`gh api "repos/O/R/issues?labels=escaped-defect&state=all"`): has "number",
  "labels" and "body" but no "head". One labelled TOLLGATE_DEFECT_LABEL (default
  "escaped-defect") becomes an EscapedDefect linked to the first merged pull request its title
  or body names as #123, owner/repo#123 or a pull URL; other issues are ignored.

The repository is the record's own (base.repo.full_name, or the API URL a review, commit or
issue carries), else run.options["repo"]; with neither the record is a line error. Repository
names are stored lower-case, as GitHub treats them case-insensitively.

AI-assisted pull requests: the setting TOLLGATE_AI_ASSISTED is a dict of rules, checked in this
order; the first that matches sets ai_assisted and names itself in ai_signal. Keys left out
keep their defaults; an empty list turns a rule off. Matching ignores case. The default:

    {
        "bot_authors": ["copilot-swe-agent[bot]", "devin-ai-integration[bot]"],  # exact login
        "labels": ["ai-assisted", "ai-generated"],                                # exact label
        "branch_prefixes": ["copilot/", "codex/", "claude/", "cursor/", "devin/"],
        "co_authors": ["copilot", "claude", "codex", "cursor", "aider", "devin-ai"],  # substring
    }

"devin-ai" rather than "devin": a substring of "Name <email>" trailers, and plenty of people
are called Devin (Devin's trailer names devin-ai-integration[bot]).

Counts: created and updated add up pull requests, reviews and escaped defects; a row counts as
updated only when a stored value changed, so importing the same file twice changes nothing.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import orjson
from django.conf import settings
from django.db import connection, transaction

from governance.importers.base import (
    UNREADABLE,
    Errors,
    ImportResult,
    LineError,
    Progress,
    as_datetime,
    as_int,
    batched,
    json_records,
    no_progress,
)
from governance.models import ImportRun
from governance.models.evidence import (
    EscapedDefect,
    PullRequest,
    PullRequestReview,
)

DEFAULT_AI_ASSISTED: dict[str, list[str]] = {
    "bot_authors": ["copilot-swe-agent[bot]", "devin-ai-integration[bot]"],
    "labels": ["ai-assisted", "ai-generated"],
    "branch_prefixes": ["copilot/", "codex/", "claude/", "cursor/", "devin/"],
    "co_authors": ["copilot", "claude", "codex", "cursor", "aider", "devin-ai"],
}
DEFAULT_DEFECT_LABEL = "escaped-defect"

BATCH = 1000
UPDATE_BATCH = 200
# PositiveIntegerField's ceiling on PostgreSQL; a bigger count is a corrupt record.
MAX_INT = 2_147_483_647
MAX_BIGINT = 2**63 - 1
REPO = re.compile(r"^[\w.-]+/[\w.-]+$")
API_REPO = re.compile(r"/repos/([\w.-]+/[\w.-]+)(?:/|$)")
PULL_URL = re.compile(r"/repos/([\w.-]+/[\w.-]+)/pulls/(\d+)/?$")
# PULL_URL's part before "/pulls/N".
API_PULLS_HEAD = re.compile(r"/repos/([\w.-]+/[\w.-]+)$")
TRAILER = re.compile(r"^\s*co-authored-by:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
# A pull URL (web or API), owner/repo#N, or #N (this repository); read left to right.
REFERENCE = re.compile(
    r"https?://[^\s/]+/(?:repos/)?(?P<url_repo>[\w.-]+/[\w.-]+)/pulls?/(?P<url_number>\d+)"
    r"|(?<![\w/])(?P<repo>[\w.-]+/[\w.-]+)#(?P<number>\d+)\b"
    r"|(?<![\w/#])#(?P<local>\d+)\b"
)

# Compared before writing so that an unchanged pull request is neither written nor counted.
PULL_FIELDS = (
    "author",
    "author_is_bot",
    "created_at",
    "updated_at",
    "merged_at",
    "closed_at",
    "additions",
    "deletions",
    "changed_files",
    "labels",
    "head_ref",
    "base_ref",
    "draft",
    "co_authors",
    "ai_assisted",
    "ai_signal",
    "review_requested_at",
)
# Figures of a pull's reviews, kept on the pull; a change to them is the reviews' change.
DERIVED_FIELDS = ("review_count", "last_approved_at")
REVIEW_FIELDS = ("reviewer", "state", "submitted_at")
DEFECT_FIELDS = ("title", "opened_at", "pull_request_id", "referenced")

Key = tuple[str, int]
# Stands for a line that is not JSON: counted as read, already a line error.


def ai_rules() -> dict[str, tuple[str, ...]]:
    """The AI-assisted rules in force: the setting over the defaults, lower-cased."""
    configured = getattr(settings, "TOLLGATE_AI_ASSISTED", None) or {}
    return {
        name: tuple(str(item).casefold() for item in configured.get(name, default))
        for name, default in DEFAULT_AI_ASSISTED.items()
    }


def defect_label() -> str:
    """The issue label that marks an escaped defect."""
    return str(getattr(settings, "TOLLGATE_DEFECT_LABEL", DEFAULT_DEFECT_LABEL)).casefold()


def ai_signal(pull: PullRequest, rules: dict[str, tuple[str, ...]]) -> str:
    """Name the first rule that marks a pull request AI-assisted, or return ''."""
    return signal_of(pull.author, pull.labels, pull.head_ref, pull.co_authors, rules)


def signal_of(
    author: str,
    labels: list[str],
    head_ref: str,
    co_authors: list[str],
    rules: dict[str, tuple[str, ...]],
) -> str:
    """ai_signal of a pull request's values."""
    if author in rules["bot_authors"]:
        return f"bot:{author}"
    for label in labels:
        if label.casefold() in rules["labels"]:
            return f"label:{label}"
    head = head_ref.casefold()
    for prefix in rules["branch_prefixes"]:
        if head.startswith(prefix):
            return f"branch:{prefix}"
    for co_author in co_authors:
        folded = co_author.casefold()
        if any(needle in folded for needle in rules["co_authors"]):
            return f"co-author:{co_author}"[:120]
    return ""


def co_authors_of(message: str) -> list[str]:
    """The Co-authored-by trailers of a commit message, as written ("Name <email>")."""
    return [" ".join(match.split()) for match in TRAILER.findall(message or "")]


@dataclass
class Records:
    """Validated records of one file or sync, keyed so that a repeated record counts once."""

    pulls: dict[Key, tuple[int, dict]] = field(default_factory=dict)
    reviews: dict[tuple[str, int, int], tuple[int, dict]] = field(default_factory=dict)
    # pull -> (lines of its commits, co-author trailers)
    commits: dict[Key, tuple[list[int], set[str]]] = field(default_factory=dict)
    issues: dict[Key, tuple[int, dict]] = field(default_factory=dict)
    ignored: Counter = field(default_factory=Counter)

    def __len__(self) -> int:
        """How many distinct records are kept."""
        return len(self.pulls) + len(self.reviews) + len(self.commits) + len(self.issues)


class Parser:
    """Sorts GitHub records by shape into Records; a bad record becomes a line error."""

    def __init__(self, *, records: Records, errors: Errors, repo: str = "") -> None:
        """Collect into `records`; `repo` serves records that do not name theirs."""
        self.records, self.errors, self.repo = records, errors, repo
        self.label = defect_label()
        self._last_repo: tuple[Any, str] = (None, "")
        self._last_url: tuple[Any, Key | None] = (None, None)
        self._last_head: tuple[str | None, str | None] = (None, None)

    def add(self, line: int, record: Any) -> None:
        """Validate one record and keep it under its key."""
        if not isinstance(record, dict):
            self.errors.add(line, "record", "not a JSON object")
        elif "head" in record and "base" in record:
            self._pull(line, record)
        elif "pull_request_url" in record and "state" in record:
            self._review(line, record)
        elif isinstance(record.get("commits"), list) or isinstance(record.get("commit"), dict):
            self._commits(line, record)
        elif "number" in record and "labels" in record:
            self._issue(line, record)
        else:
            self.errors.add(line, "record", "not a pull, review, commit or issue")

    def _repo(self, line: int, *candidates: Any) -> str:
        """The first owner/name among the record's own and the run's repository."""
        for candidate in (*candidates, self.repo):
            if isinstance(candidate, str) and candidate:
                if candidate == self._last_repo[0]:
                    return self._last_repo[1]
                match = API_REPO.search(candidate) if "/repos/" in candidate else None
                name = match.group(1) if match else candidate
                if REPO.match(name):
                    # Records come a repository at a time: remember the last one found.
                    self._last_repo = (candidate, name.casefold())
                    return self._last_repo[1]
        self.errors.add(line, "repo", "no repository: give --repo owner/name")
        return ""

    def _time(self, line: int, record: dict, name: str, *, required: bool = True):
        """Parse one timestamp field, adding a line error when it is bad."""
        value = record.get(name)
        if value.__class__ is str and len(value) == 20 and value[10] == "T" and value[19] == "Z":
            # GitHub's own shape, 2026-01-05T09:00:00Z: parsed without a regular expression.
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass  # as_datetime words the error
        elif value in (None, "") and not required:
            return None
        try:
            return as_datetime(value)
        except ValueError as error:
            self.errors.add(line, name, "required" if value in (None, "") else str(error))
            return None

    def _int(self, line: int, record: dict, name: str, *, required: bool = False, ceiling=MAX_INT):
        """Parse one whole-number field, adding a line error when it is bad."""
        value = record.get(name)
        if value.__class__ is int and 0 <= value <= ceiling:
            return value
        try:
            number = as_int(value, None if required else 0)
        except ValueError as error:
            self.errors.add(line, name, str(error))
            return None
        if number > ceiling:
            self.errors.add(line, name, f"too large: {number}")
            return None
        return number

    def _pull(self, line: int, record: dict) -> None:
        """Keep a pull; the newest copy of one pull in a file wins."""
        base = record.get("base") if isinstance(record.get("base"), dict) else {}
        head = record.get("head") if isinstance(record.get("head"), dict) else {}
        base_repo = base.get("repo") if isinstance(base.get("repo"), dict) else {}
        repo = self._repo(line, base_repo.get("full_name"), record.get("url"))
        number = self._int(line, record, "number", required=True)
        author, is_bot = _user(record.get("user"))
        values: dict[str, Any] = {
            "author": author,
            "author_is_bot": is_bot,
            "created_at": self._time(line, record, "created_at"),
            "updated_at": self._time(line, record, "updated_at"),
            "merged_at": self._time(line, record, "merged_at", required=False),
            "closed_at": self._time(line, record, "closed_at", required=False),
            "head_ref": str(head.get("ref") or "")[:255],
            "base_ref": str(base.get("ref") or "")[:255],
            "draft": bool(record.get("draft")),
        }
        labels = record.get("labels") or []
        if not labels:
            values["labels"] = []
        elif not isinstance(labels, list):
            self.errors.add(line, "labels", "not a list")
        else:
            names = [label.get("name") if isinstance(label, dict) else label for label in labels]
            values["labels"] = list(dict.fromkeys(str(n) for n in names if n))
        # The list endpoint omits these; leaving them out keeps what a detailed record said.
        for name in ("additions", "deletions", "changed_files"):
            if record.get(name) is not None:
                values[name] = self._int(line, record, name)
        if line in self.errors.lines:
            return
        key = (repo, number)
        kept = self.records.pulls.get(key)
        if kept is None or kept[1]["updated_at"] <= values["updated_at"]:
            merged = {**kept[1], **values} if kept else values
            self.records.pulls[key] = (line, merged)

    def _review(self, line: int, record: dict) -> None:
        """Keep a submitted review under its pull and id."""
        state = str(record.get("state") or "").upper()
        if state == "PENDING":
            self.records.ignored["pending review"] += 1
            return
        url = record.get("pull_request_url")
        if url != self._last_url[0]:
            # A pull's reviews come together: its URL is parsed once.
            self._last_url = (url, self._pull_of(str(url or "")))
        pull = self._last_url[1]
        if pull is None:
            self.errors.add(line, "pull_request_url", "not a …/repos/O/R/pulls/N URL")
            return
        # Review ids passed 2**31 long ago; the column is a bigint.
        github_id = self._int(line, record, "id", required=True, ceiling=MAX_BIGINT)
        submitted_at = self._time(line, record, "submitted_at")
        if not state:
            self.errors.add(line, "state", "required")
        if line in self.errors.lines:
            return
        reviewer, _ = _user(record.get("user"))
        key = (*pull, github_id)
        self.records.reviews[key] = (
            line,
            {"reviewer": reviewer, "state": state[:32], "submitted_at": submitted_at},
        )

    def _pull_of(self, url: str) -> Key | None:
        """The (repo, number) of a …/repos/O/R/pulls/N URL, or None."""
        head, _, number = url.removesuffix("/").rpartition("/pulls/")
        if number.isascii() and number.isdigit():
            # The repository part is the same for a file's pulls: matched once.
            if head != self._last_head[0]:
                match = API_PULLS_HEAD.search(head)
                self._last_head = (head, match.group(1).casefold() if match else None)
            if self._last_head[1]:
                return self._last_head[1], int(number)
        match = PULL_URL.search(url)
        return (match.group(1).casefold(), int(match.group(2))) if match else None

    def _commits(self, line: int, record: dict) -> None:
        """Add a commit's (or a wrapper's commits') co-author trailers to its pull."""
        commits = record["commits"] if isinstance(record.get("commits"), list) else [record]
        number = self._int(line, record, "pull_number", required=True)
        first = commits[0] if commits and isinstance(commits[0], dict) else {}
        repo = self._repo(line, record.get("repo"), first.get("url"))
        trailers: list[str] = []
        for commit in commits:
            detail = commit.get("commit") if isinstance(commit, dict) else None
            if not isinstance(detail, dict):
                self.errors.add(line, "commit", "lacks commit.message")
                continue
            trailers += co_authors_of(str(detail.get("message") or ""))
        if line in self.errors.lines:
            return
        lines, names = self.records.commits.setdefault((repo, number), ([], set()))
        lines.append(line)
        names.update(trailers)

    def _issue(self, line: int, record: dict) -> None:
        """Keep an issue labelled as an escaped defect; ignore the rest."""
        labels = record.get("labels") or []
        names = {
            str(label.get("name") if isinstance(label, dict) else label).casefold()
            for label in labels
        }
        if "pull_request" in record:
            self.records.ignored["pull request listed as an issue"] += 1
            return
        if self.label not in names:
            self.records.ignored["issue without the defect label"] += 1
            return
        repo = self._repo(line, record.get("repository_url"), record.get("url"))
        number = self._int(line, record, "number", required=True)
        opened_at = self._time(line, record, "created_at")
        if line in self.errors.lines:
            return
        title = str(record.get("title") or "")
        text = f"{title}\n{record.get('body') or ''}"
        self.records.issues[(repo, number)] = (
            line,
            {"title": title[:500], "opened_at": opened_at, "references": references(text, repo)},
        )


def _user(user: Any) -> tuple[str, bool]:
    """A GitHub user object's login (lower-case) and whether it is a bot."""
    if not isinstance(user, dict) or not user.get("login"):
        # GitHub shows deleted accounts as null; it calls them "ghost" on the web.
        return "ghost", False
    login = str(user["login"]).casefold()[:100]
    return login, user.get("type") == "Bot" or login.endswith("[bot]")


def references(text: str, repo: str) -> list[Key]:
    """The pull requests a text names, in order: URLs, owner/repo#N and #N (this repo)."""
    found: list[Key] = []
    for match in REFERENCE.finditer(text):
        if match.group("url_repo"):
            key = (match.group("url_repo").casefold(), int(match.group("url_number")))
        elif match.group("repo"):
            key = (match.group("repo").casefold(), int(match.group("number")))
        else:
            key = (repo, int(match.group("local")))
        if key not in found and key[1] <= MAX_INT:
            found.append(key)
    return found


def read_records(
    stream: IO[bytes], parser: Parser, result: ImportResult, progress: Progress
) -> None:
    """Feed every record of a file to the parser, counting rows and reporting progress."""
    for line, record in json_records(stream, parser.errors):
        result.rows_read += 1
        if record is not UNREADABLE:
            parser.add(line, record)
        if result.rows_read % BATCH == 0:
            progress(stream.tell())


def import_pull_requests(
    run: ImportRun, stream: IO[bytes], *, progress: Progress = no_progress
) -> ImportResult:
    """Import pulls, reviews, commits' co-authors and escaped defects from one file."""
    repo = str(run.options.get("repo") or "").strip()
    if repo and not REPO.match(repo):
        raise LineError(1, "repo", f"not owner/name: {repo!r}")
    errors, records, result = Errors(run.skip_bad), Records(), ImportResult()
    read_records(stream, Parser(records=records, errors=errors, repo=repo), result, progress)
    write_records(run, records, errors=errors, result=result)
    progress(stream.tell())
    return result


def write_records(
    run: ImportRun, records: Records, *, errors: Errors, result: ImportResult
) -> None:
    """Check references, then upsert pulls, reviews and defects in bulk; add to the counts.

    Raises ImportRejected (nothing written) when there are bad lines and skip_bad is off.
    Both the file importer and the API sync write through here.
    """
    keys = set(records.pulls) | set(records.commits)
    keys |= {key[:2] for key in records.reviews}
    for _line, issue in records.issues.values():
        keys.update(issue["references"])
    postgresql = connection.vendor == "postgresql"
    stored = _stored_ids(keys) if postgresql else _stored_pulls(keys)
    known = stored.keys() | records.pulls.keys()
    for (repo, number, github_id), (line, _values) in list(records.reviews.items()):
        if (repo, number) not in known:
            errors.add(line, "pull_request_url", f"pull request #{number} not imported")
            del records.reviews[(repo, number, github_id)]
    for key, (lines, _names) in list(records.commits.items()):
        if key not in known:
            for line in lines:
                errors.add(line, "pull_number", f"pull request #{key[1]} not imported")
            del records.commits[key]
    errors.check(result.rows_read)
    result.errors, result.skipped = errors.items, len(errors.lines)

    if postgresql:
        with transaction.atomic(), connection.cursor() as cursor:
            _write_postgresql(cursor, run, records, stored, result)
    else:
        reviews = _stored_reviews(stored, records)
        pulls = _write_pulls(run, records, stored, reviews, result)
        _write_reviews(records, pulls, reviews, result)
        _write_defects(run, records, pulls, result)
        _relink_defects(pulls, records, result)
    # Authors no team covers are reported by the import service, after attribution.
    _add_report(result, "ignored", records.ignored)


def _add_report(result: ImportResult, kind: str, counts: Counter) -> None:
    """Add counts to a report entry (the sync writes repository by repository)."""
    result.unknown(kind, Counter(result.report.get(kind, {})) + counts)


def _stored_pulls(keys: Iterable[Key]) -> dict[Key, PullRequest]:
    """The stored pull requests among `keys`, fetched a chunk of numbers per repository."""
    by_repo: dict[str, list[int]] = defaultdict(list)
    for repo, number in keys:
        by_repo[repo].append(number)
    stored = {}
    for repo, numbers in by_repo.items():
        for chunk in batched(sorted(numbers), BATCH):
            for pull in PullRequest.objects.filter(repo=repo, number__in=chunk):
                stored[(pull.repo, pull.number)] = pull
    return stored


def _stored_reviews(
    stored: dict[Key, PullRequest], records: Records
) -> dict[tuple[int, int], tuple]:
    """Every stored review of the stored pulls this batch reviews: (pk, *REVIEW_FIELDS) by
    (pull, GitHub id).

    A pull has a handful of reviews: reading all of theirs is cheaper than naming each id,
    and with all of them in hand its review figures need no query of their own. Tuples, not
    model instances: building 100,000 instances to compare three fields costs seconds.
    """
    pull_ids = sorted({stored[key[:2]].pk for key in records.reviews if key[:2] in stored})
    found = {}
    for chunk in batched(pull_ids, BATCH):
        rows = PullRequestReview.objects.filter(pull_request_id__in=chunk).values_list(
            "pull_request_id", "github_id", "pk", *REVIEW_FIELDS
        )
        for pull_id, github_id, *row in rows:
            found[(pull_id, github_id)] = tuple(row)
    return found


def _review_figures(
    stored: dict[Key, PullRequest],
    reviews: dict[tuple[int, int], tuple],
    records: Records,
) -> dict[Key, dict[int, tuple[str, str, Any]]]:
    """Each reviewed pull's reviews after this batch: (reviewer, state, submitted_at) by id."""
    key_of = {pull.pk: key for key, pull in stored.items()}
    merged: dict[Key, dict[int, tuple[str, str, Any]]] = defaultdict(dict)
    for (pull_id, github_id), (_pk, *review) in reviews.items():
        merged[key_of[pull_id]][github_id] = tuple(review)
    for (repo, number, github_id), (_line, values) in records.reviews.items():
        merged[(repo, number)][github_id] = tuple(values[name] for name in REVIEW_FIELDS)
    return merged


def _recount(pull: PullRequest, reviews: dict[int, tuple[str, str, Any]]) -> None:
    """Set a pull's review_count and last_approved_at from all its reviews.

    The author's own reviews are left out: GitHub records an author's reply to a review
    comment as a COMMENTED review, which is not review work.
    """
    others = [review for review in reviews.values() if review[0] != pull.author]
    pull.review_count = len(others)
    pull.last_approved_at = max(
        (submitted for _who, state, submitted in others if state == "APPROVED"), default=None
    )


def _write_pulls(
    run: ImportRun,
    records: Records,
    stored: dict[Key, PullRequest],
    reviews: dict[tuple[int, int], tuple],
    result: ImportResult,
) -> dict[Key, PullRequest]:
    """Create or update the batch's pulls (and those gaining co-authors or reviews).

    Review figures are written with the pull, computed from its stored reviews and the
    batch's, so a new pull is inserted complete and nothing is updated twice. They are not
    counted as a change: the reviews that moved them are. Returns every pull it knows.
    """
    rules = ai_rules()
    figures = _review_figures(stored, reviews, records)
    created, changed, counted = [], [], 0
    for key in records.pulls.keys() | records.commits.keys() | figures.keys():
        pull = stored.get(key)
        is_new = pull is None
        if is_new:
            pull = PullRequest(repo=key[0], number=key[1])
        before = {name: getattr(pull, name) for name in (*PULL_FIELDS, *DERIVED_FIELDS)}
        record = records.pulls.get(key, (0, {}))[1]
        if is_new or not _older(record, pull.updated_at):
            for name, value in record.items():
                setattr(pull, name, value)
        if key in records.commits:
            pull.co_authors = sorted(set(pull.co_authors) | records.commits[key][1])
        # GitHub's pull record does not say when review was asked for; the help text's
        # fallback is the opening time.
        pull.review_requested_at = pull.review_requested_at or pull.created_at
        pull.ai_signal = ai_signal(pull, rules)
        pull.ai_assisted = bool(pull.ai_signal)
        if key in figures:
            _recount(pull, figures[key])
        if is_new:
            pull.import_run = run
            created.append(pull)
        elif any(getattr(pull, name) != before[name] for name in PULL_FIELDS):
            pull.import_run = run
            changed.append(pull)
            counted += 1
        elif any(getattr(pull, name) != before[name] for name in DERIVED_FIELDS):
            changed.append(pull)
    PullRequest.objects.bulk_create(created, batch_size=BATCH)
    # bulk_update writes CASE expressions whose cost grows with the batch squared: keep
    # its batches small.
    PullRequest.objects.bulk_update(
        changed, [*PULL_FIELDS, *DERIVED_FIELDS, "import_run"], batch_size=UPDATE_BATCH
    )
    result.created += len(created)
    result.updated += counted
    pulls = dict(stored)
    if any(pull.pk is None for pull in created):
        # A backend that cannot return ids from a bulk insert: read them back.
        pulls.update(_stored_pulls(pull_key(pull) for pull in created))
    else:
        pulls.update((pull_key(pull), pull) for pull in created)
    return pulls


def pull_key(pull: PullRequest) -> Key:
    """A pull request's (repo, number)."""
    return pull.repo, pull.number


def _write_reviews(
    records: Records,
    pulls: dict[Key, PullRequest],
    stored: dict[tuple[int, int], tuple],
    result: ImportResult,
) -> None:
    """Upsert reviews by (pull, GitHub id); a repeated review changes nothing."""
    created, changed = [], []
    for (repo, number, github_id), (_line, values) in records.reviews.items():
        pull_id = pulls[(repo, number)].pk
        review = PullRequestReview(pull_request_id=pull_id, github_id=github_id, **values)
        row = stored.get((pull_id, github_id))
        if row is None:
            created.append(review)
        elif tuple(values[name] for name in REVIEW_FIELDS) != row[1:]:
            review.pk = row[0]
            changed.append(review)
    PullRequestReview.objects.bulk_create(created, batch_size=BATCH)
    PullRequestReview.objects.bulk_update(changed, list(REVIEW_FIELDS), batch_size=UPDATE_BATCH)
    result.created += len(created)
    result.updated += len(changed)


def _write_defects(
    run: ImportRun, records: Records, pulls: dict[Key, PullRequest], result: ImportResult
) -> None:
    """Upsert escaped defects, each linked to the first merged pull request it names."""
    stored = {}
    by_repo: dict[str, list[int]] = defaultdict(list)
    for repo, number in records.issues:
        by_repo[repo].append(number)
    for repo, numbers in by_repo.items():
        for chunk in batched(numbers, BATCH):
            for defect in EscapedDefect.objects.filter(repo=repo, number__in=chunk):
                stored[(defect.repo, defect.number)] = defect
    created, changed, unresolved = [], [], Counter()
    for key, (_line, issue) in records.issues.items():
        refs = issue["references"]
        target = next((ref for ref in refs if ref in pulls and pulls[ref].merged_at), None)
        if target is None and refs:
            unresolved[f"{refs[0][0]}#{refs[0][1]}"] += 1
        if target is None and not refs:
            unresolved[f"{key[0]}#{key[1]} names no pull request"] += 1
        chosen = target or (refs[0] if refs else None)
        values = {
            "title": issue["title"],
            "opened_at": issue["opened_at"],
            "pull_request_id": pulls[target].pk if target else None,
            "referenced": f"{chosen[0]}#{chosen[1]}"[:200] if chosen else "",
        }
        defect = stored.get(key)
        if defect is None:
            created.append(EscapedDefect(repo=key[0], number=key[1], import_run=run, **values))
        elif any(getattr(defect, name) != values[name] for name in DEFECT_FIELDS):
            for name, value in values.items():
                setattr(defect, name, value)
            defect.import_run = run
            changed.append(defect)
    EscapedDefect.objects.bulk_create(created, batch_size=BATCH)
    EscapedDefect.objects.bulk_update(
        changed, [*DEFECT_FIELDS, "import_run"], batch_size=UPDATE_BATCH
    )
    result.created += len(created)
    result.updated += len(changed)
    _add_report(result, "unresolved_defect_references", unresolved)


def _relink_defects(pulls: dict[Key, PullRequest], records: Records, result: ImportResult) -> None:
    """Link defects imported before the merged pull request they name (stored as owner/repo#N).

    Defects are few and an unlinked one fewer: they are read at once and matched here.
    """
    merged = {
        f"{key[0]}#{key[1]}": pulls[key].pk
        for key in records.pulls
        if key in pulls and pulls[key].merged_at
    }
    if not merged:
        return
    orphans = EscapedDefect.objects.filter(pull_request__isnull=True).exclude(referenced="")
    linked = []
    for defect in orphans.only("pk", "referenced"):
        if defect.referenced in merged:
            defect.pull_request_id = merged[defect.referenced]
            linked.append(defect)
    EscapedDefect.objects.bulk_update(linked, ["pull_request"], batch_size=UPDATE_BATCH)
    result.updated += len(linked)


# --- PostgreSQL: rows staged by COPY into temporary tables, written set-based ---------------
#
# No model instances: the pulls' new values are worked out here (the AI signal and merged
# co-authors need Python), COPYed into a temporary table, and written with one UPDATE of the
# stored pulls whose values differ and one INSERT of the new ones; reviews the same way, then
# the review figures of the stored pulls this batch reviews are recounted in one UPDATE. Each
# statement's row count is the count of pulls or reviews created or changed.

PULLS = f"{PullRequest._meta.db_table}"
REVIEWS = f"{PullRequestReview._meta.db_table}"
# The staged pull: PULL_FIELDS (JSON as text), the review figures (used for a new pull only)
# and whether the pull is stored. additions, deletions and changed_files are NULL when the
# record lacks them (the stored value stays); review_requested_at is the opening time, the
# stored value wins.
STAGE_PULL = (
    "repo text, number integer, author text, author_is_bot boolean, created_at timestamptz, "
    "updated_at timestamptz, merged_at timestamptz, closed_at timestamptz, additions integer, "
    "deletions integer, changed_files integer, labels text, head_ref text, base_ref text, "
    "draft boolean, co_authors text, ai_assisted boolean, ai_signal text, "
    "review_requested_at timestamptz, review_count integer, last_approved_at timestamptz, "
    "stored boolean"
)
STAGE_REVIEW = (
    "pull_id bigint, github_id bigint, reviewer text, state text, submitted_at timestamptz, "
    "stored boolean"
)
KEPT_WHEN_MISSING = ("additions", "deletions", "changed_files")
# JSON is staged as text (binary COPY would want jsonb's own format) and cast when written.
STAGED_JSON = ("labels", "co_authors")


class _Pull(tuple):
    """What defects need of a pull: its id and when it merged."""

    @property
    def pk(self) -> int:
        return self[0]

    @property
    def merged_at(self):
        return self[1]


def _stored_ids(keys: Iterable[Key]) -> dict[Key, tuple[int, list[str]]]:
    """The stored pull requests among `keys`: (id, co-authors) by key, one query a repository.

    Only the co-authors are read (the AI signal needs them, a pull record has the rest); the
    values are compared in the database.
    """
    by_repo: dict[str, list[int]] = defaultdict(list)
    for repo, number in keys:
        if number <= MAX_INT:
            by_repo[repo].append(number)
    stored = {}
    with connection.cursor() as cursor:
        for repo, numbers in by_repo.items():
            cursor.execute(
                f"SELECT number, id, CASE WHEN co_authors <> '[]'::jsonb "  # noqa: S608
                f"THEN co_authors::text END FROM {PULLS} "
                "WHERE repo = %s AND number = ANY(string_to_array(%s, ',')::integer[])",
                [repo, ",".join(map(str, numbers))],
            )
            for number, pk, co_authors in cursor.fetchall():
                stored[(repo, number)] = (pk, orjson.loads(co_authors) if co_authors else [])
    return stored


def _stage(cursor, table: str, columns: str, rows: Iterable[tuple], keys: str) -> None:
    """A temporary table, dropped at commit, holding `rows` (COPYed in, binary)."""
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(f"CREATE TEMP TABLE {table} ({columns}) ON COMMIT DROP")
    # Binary: times go as numbers, not ISO text the server parses again.
    with cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([column.split()[1] for column in columns.split(", ")])
        for row in rows:
            copy.write_row(row)
    # A temporary table has no statistics until analysed; the joins below need those of
    # their keys (the other columns' would cost more to gather than they save).
    cursor.execute(f"ANALYZE {table} ({keys})")


def _json(value: list) -> str:
    return orjson.dumps(value).decode()


def _pull_rows(records: Records, stored: dict, reviewed: dict) -> Iterator[tuple]:
    """The staged pulls: every pull of the batch and every stored pull gaining co-authors.

    Consumed inside a COPY, so the stored values it needs are read before the first row.
    """
    only_commits = [key for key in records.commits if key not in records.pulls]
    full = {}
    for chunk in batched([stored[key][0] for key in only_commits], BATCH):
        for row in PullRequest.objects.filter(pk__in=chunk).values("repo", "number", *PULL_FIELDS):
            full[(row.pop("repo"), row.pop("number"))] = row
    return _pull_tuples(records, stored, reviewed, only_commits, full)


def _pull_tuples(
    records: Records, stored: dict, reviewed: dict, only_commits: list[Key], full: dict
) -> Iterator[tuple]:
    """The rows of _pull_rows, made one at a time as the COPY takes them."""
    rules = ai_rules()
    for key in (*records.pulls, *only_commits):
        is_stored = key in stored
        values = records.pulls[key][1] if key in records.pulls else full[key]
        co_authors = stored[key][1] if is_stored else []
        if key in records.commits:
            co_authors = sorted(set(co_authors) | records.commits[key][1])
        labels = values.get("labels", [])
        signal = signal_of(values["author"], labels, values["head_ref"], co_authors, rules)
        count, approved = 0, None
        if not is_stored:
            # A new pull's figures come from the batch's reviews alone.
            others = [review for review in reviewed.get(key, ()) if review[0] != values["author"]]
            count = len(others)
            approved = max((at for _who, state, at in others if state == "APPROVED"), default=None)
        yield (
            key[0],
            key[1],
            values["author"],
            values["author_is_bot"],
            values["created_at"],
            values["updated_at"],
            values["merged_at"],
            values["closed_at"],
            values.get("additions"),
            values.get("deletions"),
            values.get("changed_files"),
            _json(labels),
            values["head_ref"],
            values["base_ref"],
            values["draft"],
            _json(co_authors),
            bool(signal),
            signal,
            values.get("review_requested_at") or values["created_at"],
            count,
            approved,
            is_stored,
        )


def _changed(columns: Iterable[str], old: str = "p", new: str = "s") -> str:
    """SQL: is any column of the stored row distinct from the staged value?"""
    pairs = [(f"{old}.{name}", _new_value(name, old, new)) for name in columns]
    return f"({', '.join(a for a, _ in pairs)}) IS DISTINCT FROM ({', '.join(b for _, b in pairs)})"


def _new_value(name: str, old: str = "p", new: str = "s") -> str:
    """SQL: a staged pull's value for a column, given the stored row."""
    if name in KEPT_WHEN_MISSING:
        return f"COALESCE({new}.{name}, {old}.{name})"
    if name == "review_requested_at":
        return f"COALESCE({old}.{name}, {new}.{name})"
    if name in STAGED_JSON:
        return f"{new}.{name}::jsonb"
    return f"{new}.{name}"


def _older(record: dict, stored_updated_at) -> bool:
    """Whether a file's record of a pull is older than the stored one (then it is ignored)."""
    updated = record.get("updated_at")
    return bool(updated and stored_updated_at and updated < stored_updated_at)


def _write_postgresql(
    cursor, run: ImportRun, records: Records, stored: dict, result: ImportResult
) -> None:
    """Write the batch's pulls, reviews and defects (see the section's comment)."""
    reviewed: dict[Key, list[tuple]] = defaultdict(list)
    for (repo, number, _id), (_line, values) in records.reviews.items():
        reviewed[(repo, number)].append(
            (values["reviewer"], values["state"], values["submitted_at"])
        )
    _stage(
        cursor, "gh_pull", STAGE_PULL, _pull_rows(records, stored, reviewed), "repo, number, stored"
    )
    assignments = ", ".join(f"{name} = {_new_value(name)}" for name in PULL_FIELDS)
    cursor.execute(
        f"UPDATE {PULLS} p SET {assignments}, import_run_id = %s FROM gh_pull s "  # noqa: S608
        "WHERE s.stored AND p.repo = s.repo AND p.number = s.number "
        # An older file never turns back a newer state (a merged pull "un-merged").
        "AND (s.updated_at IS NULL OR p.updated_at <= s.updated_at) "
        f"AND {_changed(PULL_FIELDS)}",
        [run.pk],
    )
    result.updated += cursor.rowcount
    columns = ", ".join((*PULL_FIELDS, *DERIVED_FIELDS))
    selected = ", ".join(
        f"COALESCE({name}, 0)"
        if name in KEPT_WHEN_MISSING
        else f"{name}::jsonb"
        if name in STAGED_JSON
        else name
        for name in (*PULL_FIELDS, *DERIVED_FIELDS)
    )
    cursor.execute(
        f"INSERT INTO {PULLS} (repo, number, {columns}, tier, team_id, import_run_id) "  # noqa: S608
        f"SELECT repo, number, {selected}, '', NULL, %s FROM gh_pull WHERE NOT stored "
        "RETURNING repo, number, id",
        [run.pk],
    )
    created = cursor.fetchall()
    result.created += len(created)
    ids = {key: pk for key, (pk, _co) in stored.items()}
    ids.update(((repo, number), pk) for repo, number, pk in created)

    review_rows = (
        (ids[key[:2]], key[2], v["reviewer"], v["state"], v["submitted_at"], key[:2] in stored)
        for key, (_line, v) in records.reviews.items()
    )
    _stage(cursor, "gh_review", STAGE_REVIEW, review_rows, "pull_id, github_id, stored")
    cursor.execute(
        f"UPDATE {REVIEWS} r SET reviewer = s.reviewer, state = s.state, "  # noqa: S608
        "submitted_at = s.submitted_at FROM gh_review s "
        "WHERE s.stored AND r.pull_request_id = s.pull_id AND r.github_id = s.github_id "
        "AND (r.reviewer, r.state, r.submitted_at) "
        "IS DISTINCT FROM (s.reviewer, s.state, s.submitted_at)"
    )
    result.updated += cursor.rowcount
    cursor.execute(
        f"INSERT INTO {REVIEWS} (pull_request_id, github_id, reviewer, state, submitted_at) "  # noqa: S608
        "SELECT pull_id, github_id, reviewer, state, submitted_at FROM gh_review s "
        f"WHERE NOT s.stored OR NOT EXISTS (SELECT FROM {REVIEWS} r "
        "WHERE r.pull_request_id = s.pull_id AND r.github_id = s.github_id)"
    )
    result.created += cursor.rowcount
    # The stored pulls this batch reviews: figures from all their reviews, the author's own
    # left out (as _recount); a new pull was inserted with its figures.
    cursor.execute(
        f"UPDATE {PULLS} p SET review_count = f.n, last_approved_at = f.approved FROM ("  # noqa: S608
        "SELECT q.id, count(*) FILTER (WHERE r.reviewer <> q.author) AS n, "
        "max(r.submitted_at) FILTER (WHERE r.state = 'APPROVED' AND r.reviewer <> q.author) "
        f"AS approved FROM {PULLS} q JOIN {REVIEWS} r ON r.pull_request_id = q.id "
        "WHERE q.id IN (SELECT pull_id FROM gh_review WHERE stored) GROUP BY q.id) f "
        "WHERE p.id = f.id AND (p.review_count, p.last_approved_at) "
        "IS DISTINCT FROM (f.n, f.approved)"
    )

    references = {ref for _line, issue in records.issues.values() for ref in issue["references"]}
    pulls = _merged_pulls(cursor, references)
    _write_defects(run, records, pulls, result)
    merged = {
        key: ids[key]
        for key, (_line, values) in records.pulls.items()
        if values["merged_at"] is not None
    }
    _relink_defects({key: _Pull((pk, True)) for key, pk in merged.items()}, records, result)


def _merged_pulls(cursor, keys: set[Key]) -> dict[Key, _Pull]:
    """Id and merge time of the stored pulls among `keys`."""
    by_repo: dict[str, list[int]] = defaultdict(list)
    for repo, number in keys:
        by_repo[repo].append(number)
    found = {}
    for repo, numbers in by_repo.items():
        cursor.execute(
            f"SELECT number, id, merged_at FROM {PULLS} "  # noqa: S608
            "WHERE repo = %s AND number = ANY(string_to_array(%s, ',')::integer[])",
            [repo, ",".join(map(str, numbers))],
        )
        for number, pk, merged_at in cursor.fetchall():
            found[(repo, number)] = _Pull((pk, merged_at))
    return found

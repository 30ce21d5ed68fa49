"""Demo evidence for seed_demo: an organisation's files in their real formats, imported
through the real commands, so the demo walks the path a user takes.

Writes, into one directory (default VAR_DIR/demo-evidence/):

- teams/members.csv: login,team,from,to for ~150 engineers in 12 teams, a few moving teams;
- github/pulls.json: a year of pulls, then their reviews, as `gh api --paginate` writes them
  (JSON arrays back to back, one per page); github/commits.jsonl: the pulls' commits with
  their number added (`jq -c '.[] + {pull_number: N}'`), AI-assisted ones carrying
  Co-authored-by trailers; github/issues.json: escaped-defect issues naming merged pulls;
- gateway/litellm-spend-logs.csv: six months of LiteLLM spend-log rows (71 / 24 / 5 % over
  the fast / standard / heavy tiers, one model no version knows);
- copilot/users-YYYY-MM.ndjson (two months), copilot/organization.ndjson, and
  copilot/billing.json (GET /orgs/{org}/copilot/billing).

Everything is drawn from random.Random(SEED) and dated from the demo's own timeline (the day
the running demo pilot's start was counted from), so a second seed writes the same bytes and
a file already imported is not imported again.
"""

import csv
import hashlib
import io
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from governance.choices import PilotStatus, Role

SEED = 20261
ORG = "acme"
PAGE = 100  # GitHub's largest page
DEFECT_LABEL = "escaped-defect"

# name, cost centre, headcount (for a new team), GitHub team slug, repository, engineers.
# The first four are the teams seed_pilots creates; their headcounts stay as they are.
TEAMS = [
    ("Payments", "CC-4100", 9, "payments", "payments-service", 14),
    ("Checkout", "CC-4120", 7, "checkout", "checkout-web", 11),
    ("Platform API", "CC-5200", 11, "platform-api", "platform-api", 16),
    ("Mobile", "CC-6100", 8, "mobile", "mobile-app", 12),
    ("Search", "CC-5300", 13, "search", "search-service", 13),
    ("Identity", "CC-5400", 12, "identity", "identity", 12),
    ("Data Platform", "CC-7100", 14, "data-platform", "data-pipelines", 14),
    ("Growth", "CC-6200", 11, "growth", "growth-experiments", 11),
    ("Billing", "CC-4200", 12, "billing", "billing-service", 12),
    ("Infrastructure", "CC-7200", 13, "infra", "infra", 13),
    ("Notifications", "CC-6300", 10, "notifications", "notifications", 10),
    ("Risk", "CC-4300", 12, "risk", "risk-engine", 12),
]
FIRST_NAMES = (
    "ana",
    "ben",
    "chloe",
    "dev",
    "eli",
    "fatima",
    "george",
    "hana",
    "ivan",
    "jade",
    "kofi",
    "lena",
    "mateo",
    "nia",
    "omar",
    "priya",
    "quinn",
    "rosa",
    "sam",
    "tariq",
    "uma",
    "victor",
    "wen",
    "xavier",
    "yara",
    "zoe",
    "aiden",
    "bea",
    "carlos",
    "dana",
    "emil",
    "freya",
    "gus",
    "hugo",
    "ines",
    "jonas",
    "kai",
    "lucia",
    "milo",
    "nora",
)
# Mid-year moves: how many people change team, between which days of the PR year.
MOVES = 8
# Routing tiers' request shares, and each tier's tokens: (prompt, completion) medians.
TIER_SHARES = {"fast": 71, "standard": 24, "heavy": 5}
TIER_TOKENS = {"fast": (1800, 160), "standard": (14000, 900), "heavy": (52000, 3200)}
# One model the gateway routed to that no model version knows: the import report names it.
UNKNOWN_MODEL = ("openai/gpt-4o-mini-2024-07-18", 9)
COPILOT_SEATS = 124
# The running pilot's model switch (docs/model-lifecycle.md): from switch_day() of the pilot
# its teams' standard-tier requests go to the newer helix-core, and reviewers spend half as
# long again on each PR it writes.
SWITCH_ROUTES = ("helix/helix-core-3.0", "helix/helix-core-3.5")
SWITCH_REVIEW = 1.5
# The demo pilots' stabilisation grace (Pilot.grace_days' default).
DEMO_GRACE_DAYS = 60


@dataclass
class Member:
    """One membership period (a CSV row)."""

    login: str
    team: str
    start: date
    end: date | None = None

    def on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass
class World:
    """The demo organisation's shape: its teams, people and pilots, and the dates it spans."""

    anchor: date
    teams: list[tuple]
    members: list[Member]
    # team name -> the day its running pilot started (the J-curve's origin)
    pilots: dict[str, date]
    by_team: dict[str, list[Member]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for member in self.members:
            self.by_team.setdefault(member.team, []).append(member)

    def team_on(self, team: str, day: date) -> list[str]:
        return [m.login for m in self.by_team.get(team, ()) if m.on(day)]

    def logins(self) -> list[str]:
        return sorted({m.login for m in self.members})


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha(*parts: Any) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:40]


def _rng(seed: int) -> random.Random:
    """A generator for demo data: reproducible on purpose, never used for secrets."""
    return random.Random(seed)  # noqa: S311


def _poisson(rng: random.Random, mean: float) -> int:
    """A count around `mean`, a little steadier than Poisson so weekly series stay readable."""
    return max(0, round(rng.gauss(mean, 0.6 * math.sqrt(max(mean, 1)))))


# --- the world ---------------------------------------------------------------------------------


def demo_anchor() -> date:
    """The demo's "today": the day the running demo pilot's start was counted from.

    Pinning it there (rather than to the calendar) keeps a later reseed's files identical.
    """
    from governance.models import Pilot
    from governance.services.demo import PILOTS

    for title, _offering, _teams, _workflows, offset, target, _outcome in PILOTS:
        if target == PilotStatus.RUNNING:
            pilot = Pilot.objects.filter(title=title).first()
            if pilot is not None and pilot.started_on is not None:
                return pilot.started_on - timedelta(days=offset)
    return timezone.localdate()


def build_world(*, anchor: date, pilots: dict[str, date], seed: int = SEED) -> World:
    """Teams, engineers and their memberships, with a few people moving team mid-year."""
    rng = _rng(seed)
    year_start = anchor - timedelta(weeks=52)
    members: list[Member] = []
    for name, _cc, _hc, slug, _repo, size in TEAMS:
        for first in rng.sample(FIRST_NAMES, size):
            joined = year_start - timedelta(days=rng.randint(20, 900))
            members.append(Member(f"{first}-{slug}", name, joined))
        # One newcomer per team, so headcount moves through the year.
        members[-1].start = year_start + timedelta(days=rng.randint(40, 300))
    # Movers come from and go to teams without a running pilot, so the J-curve stays clean.
    candidates = [m for m in members if m.team not in pilots and m.start < year_start]
    for member in rng.sample(candidates, MOVES):
        moved = year_start + timedelta(days=rng.randint(120, 260))
        target = rng.choice([t[0] for t in TEAMS if t[0] not in pilots and t[0] != member.team])
        member.end = moved - timedelta(days=1)
        members.append(Member(member.login, target, moved))
    return World(anchor=anchor, teams=TEAMS, members=members, pilots=pilots)


# --- curves: how a pilot team changes after adoption ---------------------------------------------


def _weeks_in(world: World, team: str, day: date) -> float | None:
    start = world.pilots.get(team)
    return None if start is None or day < start else (day - start).days / 7


def cycle_factor(weeks: float | None) -> float:
    """The J-curve: ~30 % slower for four weeks while the team learns, then ~25 % faster."""
    if weeks is None:
        return 1.0
    if weeks < 4:
        return 1.3
    if weeks < 8:
        return 1.3 - (weeks - 4) / 4 * 0.55
    return 0.75


def _throughput_factor(weeks: float | None) -> float:
    if weeks is None:
        return 1.0
    if weeks < 4:
        return 0.95
    return 0.95 + min(weeks - 4, 8) / 8 * 0.2


def switch_day(start: date) -> int:
    """The day of a pilot on which its model switches: the Monday three whole weeks past its
    grace, so by the demo's today (day 110) the switch has three whole weeks on either side
    to compare (docs/model-lifecycle.md), whatever weekday the pilot started on."""
    grace_end = start + timedelta(days=DEMO_GRACE_DAYS)
    monday = grace_end + timedelta(days=(7 - grace_end.weekday()) % 7)
    return (monday + timedelta(weeks=3) - start).days


def _switched(world: World, team: str, weeks: float | None) -> bool:
    start = world.pilots.get(team)
    return weeks is not None and start is not None and weeks * 7 >= switch_day(start)


def _review_factor(weeks: float | None, *, switched: bool = False) -> float:
    # Reviewers first read more AI-written code, then less per PR as PRs get smaller; the
    # model switch mid-pilot makes its PRs harder to review again.
    if weeks is None:
        return 1.0
    factor = 1.2 if weeks < 4 else 0.88
    return factor * SWITCH_REVIEW if switched else factor


def _ai_share(weeks: float | None, day: date, world: World) -> float:
    if weeks is not None:
        return min(0.3 + weeks * 0.06, 0.65)
    # Everyone else has Copilot; its share creeps up over the year.
    elapsed = (day - (world.anchor - timedelta(weeks=52))).days / 364
    return 0.08 + 0.07 * elapsed


def _defect_rate(team: str, weeks: float | None) -> float:
    # The pilot's frozen baseline is 0.14 escapes per merged PR; the kill line is 0.25.
    if team in ("Platform API",):
        return 0.12 if weeks is not None and weeks < 4 else 0.11
    return 0.04


# --- GitHub --------------------------------------------------------------------------------------


@dataclass
class GitHub:
    """The GitHub records of the demo year, in API shapes."""

    pulls: list[dict] = field(default_factory=list)
    reviews: list[dict] = field(default_factory=list)
    commits: list[dict] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)


def _user(login: str, *, bot: bool = False) -> dict:
    return {"login": login, "id": int(_sha(login)[:8], 16), "type": "Bot" if bot else "User"}


def github_records(world: World, *, seed: int = SEED) -> GitHub:
    """A year of pulls per team, their reviews and commits, and escaped-defect issues."""
    rng = _rng(seed + 1)
    out = GitHub()
    end = datetime.combine(world.anchor, time(0), tzinfo=UTC)
    year_start = world.anchor - timedelta(weeks=52)
    review_ids = iter(range(1_900_000_000, 2_100_000_000))
    for index, (team, _cc, _hc, _slug, repo_name, _size) in enumerate(world.teams):
        repo = f"{ORG}/{repo_name}"
        base_cycle = 24 + 2 * (index % 7)  # hours; medians differ team to team
        # Minutes to approval, a mean of ~38 (the running pilot's frozen baseline) give or take.
        base_review = 33.5 * (1 + 0.06 * (index % 5 - 2))
        number = 1000 + 40 * index
        merged_pulls = []
        for week in range(52):
            monday = year_start + timedelta(weeks=week)
            weeks = _weeks_in(world, team, monday + timedelta(days=3))
            people = world.team_on(team, monday + timedelta(days=3))
            count = _poisson(rng, len(people) * 1.05 * _throughput_factor(weeks))
            for _ in range(count):
                day = monday + timedelta(days=rng.randint(0, 4))
                author = rng.choice(world.team_on(team, day) or people)
                number += 1
                weeks = _weeks_in(world, team, day)
                pull = _pull(
                    rng=rng,
                    world=world,
                    out=out,
                    repo=repo,
                    number=number,
                    author=author,
                    team=team,
                    day=day,
                    weeks=weeks,
                    cycle=base_cycle * cycle_factor(weeks),
                    review=base_review
                    * _review_factor(weeks, switched=_switched(world, team, weeks)),
                    end=end,
                    review_ids=review_ids,
                )
                if pull["merged_at"]:
                    merged_pulls.append((pull, weeks))
            # Dependabot keeps bumping versions; its pulls belong to no team.
            if week % 3 == index % 3:
                number += 1
                day = monday + timedelta(days=1)
                _bot_pull(rng=rng, out=out, repo=repo, number=number, day=day, end=end)
        number = _issues(
            rng=rng, out=out, repo=repo, number=number, team=team, merged=merged_pulls, end=end
        )
    _contractor(rng=rng, world=world, out=out, end=end, review_ids=review_ids)
    return out


def _pull(
    *, rng, world, out, repo, number, author, team, day, weeks, cycle, review, end, review_ids
) -> dict:
    created = datetime.combine(day, time(8), tzinfo=UTC) + timedelta(minutes=rng.randint(0, 540))
    ai = rng.random() < _ai_share(weeks, day, world)
    piloting = weeks is not None
    hours = rng.lognormvariate(math.log(cycle), 0.7)
    approved = created + timedelta(minutes=rng.lognormvariate(math.log(review), 0.5))
    merged = max(created + timedelta(hours=hours), approved + timedelta(minutes=rng.randint(5, 90)))
    fate = rng.random()
    merged_at = closed_at = None
    if fate < 0.92 and merged < end:
        merged_at = closed_at = merged
    elif fate >= 0.92 and merged < end:
        closed_at = merged  # abandoned
    updated = max(t for t in (created, approved, closed_at) if t is not None)
    updated = min(updated, end - timedelta(minutes=1))
    size = rng.lognormvariate(math.log(140 if ai else 110), 0.9)
    additions = max(1, int(size * 0.75))
    deletions = int(size * 0.25)
    kind = rng.choice(("feat", "fix", "chore", "refactor"))
    prefix = "helix" if (ai and piloting) else kind
    labels = [{"name": kind}]
    if ai and piloting:
        # The Helix plugin labels the pulls it helped write; Tollgate's defaults read the label.
        labels.append({"name": "ai-assisted"})
    url = f"https://api.github.com/repos/{repo}/pulls/{number}"
    pull = {
        "url": url,
        "id": int(_sha(repo, number)[:9], 16),
        "html_url": f"https://github.com/{repo}/pull/{number}",
        "number": number,
        "state": "closed" if closed_at else "open",
        "title": f"{kind}: {rng.choice(_TOPICS)}",
        "user": _user(author),
        "body": "",
        "labels": labels,
        "created_at": _iso(created),
        "updated_at": _iso(updated),
        "closed_at": _iso(closed_at) if closed_at else None,
        "merged_at": _iso(merged_at) if merged_at else None,
        "merge_commit_sha": _sha(repo, number, "merge") if merged_at else None,
        "draft": False,
        "head": {"ref": f"{prefix}/{author.split('-')[0]}-{number}", "sha": _sha(repo, number)},
        "base": {"ref": "main", "repo": {"full_name": repo}},
        "author_association": "MEMBER",
        "additions": additions,
        "deletions": deletions,
        "changed_files": max(1, int(size / 40)),
    }
    out.pulls.append(pull)
    reviewers = [login for login in world.team_on(team, day) if login != author] or [author]
    if approved < end:
        for extra in range(rng.choice((0, 0, 0, 1, 1, 2))):
            moment = created + (approved - created) * rng.uniform(0.2, 0.9)
            out.reviews.append(
                _review(
                    repo=repo,
                    number=number,
                    github_id=next(review_ids),
                    login=rng.choice(reviewers),
                    at=moment,
                    state=rng.choice(("COMMENTED", "CHANGES_REQUESTED"))
                    if extra == 0
                    else "COMMENTED",
                )
            )
        out.reviews.append(
            _review(
                repo=repo,
                number=number,
                github_id=next(review_ids),
                login=rng.choice(reviewers),
                at=approved,
                state="APPROVED",
            )
        )
    commits = []
    for step in range(rng.choice((1, 1, 1, 2))):
        message = f"{kind}: {pull['title'].split(': ', 1)[1]}" + (f" ({step + 1})" if step else "")
        if ai and step == 0:
            trailer = (
                "Helix Code <helix-code[bot]@users.noreply.github.com>"
                if piloting
                else "Copilot <175728472+Copilot@users.noreply.github.com>"
            )
            message += f"\n\nCo-authored-by: {trailer}"
        sha = _sha(repo, number, step)
        commits.append(
            {
                "sha": sha,
                "url": f"https://api.github.com/repos/{repo}/commits/{sha}",
                "commit": {
                    "author": {
                        "name": author,
                        "email": f"{author}@{ORG}.example",
                        "date": _iso(created - timedelta(minutes=30 * (3 - step))),
                    },
                    "message": message,
                },
                "author": _user(author),
                "pull_number": number,
            }
        )
    out.commits.extend(commits)
    return pull


def _review(
    *, repo: str, number: int, github_id: int, login: str, at: datetime, state: str
) -> dict:
    return {
        "id": github_id,
        "user": _user(login),
        "body": "" if state == "APPROVED" else "A few comments inline.",
        "state": state,
        "html_url": f"https://github.com/{repo}/pull/{number}#pullrequestreview-{github_id}",
        "pull_request_url": f"https://api.github.com/repos/{repo}/pulls/{number}",
        "submitted_at": _iso(at),
        "commit_id": _sha(repo, number),
        "author_association": "MEMBER",
    }


def _bot_pull(*, rng, out: GitHub, repo: str, number: int, day: date, end: datetime) -> None:
    created = datetime.combine(day, time(6), tzinfo=UTC)
    merged = created + timedelta(hours=rng.randint(2, 40))
    merged_at = merged if merged < end else None
    out.pulls.append(
        {
            "url": f"https://api.github.com/repos/{repo}/pulls/{number}",
            "id": int(_sha(repo, number)[:9], 16),
            "number": number,
            "state": "closed" if merged_at else "open",
            "title": f"Bump {rng.choice(('requests', 'django', 'lodash', 'jackson'))} version",
            "user": _user("dependabot[bot]", bot=True),
            "labels": [{"name": "dependencies"}],
            "created_at": _iso(created),
            "updated_at": _iso(min(merged, end - timedelta(minutes=1))),
            "closed_at": _iso(merged_at) if merged_at else None,
            "merged_at": _iso(merged_at) if merged_at else None,
            "draft": False,
            "head": {"ref": f"dependabot/pip/bump-{number}", "sha": _sha(repo, number)},
            "base": {"ref": "main", "repo": {"full_name": repo}},
            "additions": 2,
            "deletions": 2,
            "changed_files": 1,
        }
    )


def _contractor(*, rng, world: World, out: GitHub, end: datetime, review_ids) -> None:
    """A contractor nobody listed in a team: the import report names the login."""
    repo = f"{ORG}/{TEAMS[0][4]}"
    for offset in range(6):
        day = world.anchor - timedelta(days=70 - 9 * offset)
        _pull(
            rng=rng,
            world=world,
            out=out,
            repo=repo,
            number=9000 + offset,
            author="ext-contractor-7",
            team=TEAMS[0][0],
            day=day,
            weeks=None,
            cycle=30,
            review=40,
            end=end,
            review_ids=review_ids,
        )


def _issues(*, rng, out: GitHub, repo, number, team, merged, end) -> int:
    """Escaped defects: issues labelled escaped-defect naming the merged pull they came from."""
    for pull, weeks in merged:
        if rng.random() >= _defect_rate(team, weeks):
            continue
        opened = datetime.fromisoformat(pull["merged_at"]) + timedelta(hours=rng.randint(20, 900))
        if opened >= end:
            continue
        number += 1
        pick = rng.random()
        if pick < 0.6:
            reference = f"#{pull['number']}"
        elif pick < 0.85:
            reference = f"{repo}#{pull['number']}"
        else:
            reference = pull["html_url"]
        out.issues.append(
            {
                "url": f"https://api.github.com/repos/{repo}/issues/{number}",
                "repository_url": f"https://api.github.com/repos/{repo}",
                "number": number,
                "title": f"Production: {rng.choice(_SYMPTOMS)}",
                "user": _user("oncall-bot[bot]", bot=True),
                "labels": [{"name": "bug"}, {"name": DEFECT_LABEL}],
                "state": "closed",
                "created_at": _iso(opened),
                "updated_at": _iso(min(opened + timedelta(days=2), end - timedelta(minutes=1))),
                "body": f"Escaped to production; introduced by {reference}.",
            }
        )
    return number


_TOPICS = (
    "retry idempotent writes",
    "split the settlement job",
    "cache tenant lookups",
    "tidy error messages",
    "add pagination to the list endpoint",
    "move config to env",
    "drop the legacy client",
    "measure queue latency",
    "guard against empty carts",
    "refresh tokens before expiry",
)
_SYMPTOMS = (
    "500s on refund",
    "duplicate notifications",
    "timeouts under load",
    "wrong currency rounding",
    "stale search results",
    "login loop on mobile",
)


def github_transcript(github: GitHub) -> bytes:
    """Every `gh api --paginate` call's output, one after another, as a script would save it:
    the pulls list, each pull's reviews and its commits (with `jq '[.[] + {pull_number: N}]'`),
    then the escaped-defect issues. One file, so one import and one refresh of the series.
    """
    per_pull = defaultdict(list)
    for review in github.reviews:
        per_pull[("reviews", review["pull_request_url"])].append(review)
    for commit in github.commits:
        per_pull[("commits", commit["url"].split("/commits/")[0], commit["pull_number"])].append(
            commit
        )
    calls = [orjson.dumps(records) + b"\n" for records in per_pull.values()]
    return _pages(github.pulls) + b"".join(calls) + _pages(github.issues)


def _pages(records: list[dict]) -> bytes:
    """JSON arrays back to back, PAGE records each, as `gh api --paginate` writes them."""
    return b"".join(
        orjson.dumps(records[start : start + PAGE]) + b"\n"
        for start in range(0, len(records), PAGE)
    )


# --- the AI gateway ------------------------------------------------------------------------------

LITELLM_HEADER = (
    "request_id",
    "call_type",
    "api_key",
    "spend",
    "total_tokens",
    "prompt_tokens",
    "completion_tokens",
    "startTime",
    "endTime",
    "completionStartTime",
    "model",
    "model_id",
    "model_group",
    "custom_llm_provider",
    "api_base",
    "user",
    "metadata",
    "cache_hit",
    "cache_key",
    "request_tags",
    "team_id",
    "end_user",
    "requester_ip_address",
    "session_id",
    "status",
)


@dataclass
class Route:
    """A model the gateway routes a tier to, as it logs the name, with its prices."""

    name: str
    provider: str
    tier: str
    prices: tuple[Decimal, Decimal, Decimal]  # input, cached input, output per 1M tokens
    since: date | None


def gateway_routes() -> list[Route]:
    """The demo's approved model versions, logged as provider/family-version."""
    from vendors.models import ModelVersion

    routes = []
    for mv in ModelVersion.objects.filter(approved_on__isnull=False).select_related("vendor"):
        routes.append(
            Route(
                name=f"{mv.vendor.slug}/{mv.family}-{mv.version}",
                provider=mv.vendor.slug,
                tier=mv.tier,
                prices=(
                    mv.price_input_per_mtok,
                    mv.price_cached_input_per_mtok,
                    mv.price_output_per_mtok,
                ),
                since=mv.approved_on,
            )
        )
    return sorted(routes, key=lambda r: r.name)


def gateway_csv(world: World, routes: list[Route], *, seed: int = SEED) -> bytes:
    """LiteLLM spend-log rows from the first of the month five months back to yesterday."""
    rng = _rng(seed + 2)
    month = world.anchor.replace(day=1)
    for _ in range(5):
        month = (month - timedelta(days=1)).replace(day=1)
    by_tier = defaultdict(list)
    for route in routes:
        by_tier[route.tier].append(route)
    by_name = {route.name: route for route in routes}
    deck: list[str] = []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LITELLM_HEADER)
    unknown_left, serial = UNKNOWN_MODEL[1], 0
    day = month
    while day < world.anchor:
        weekend = day.weekday() >= 5
        for team, _cc, _hc, slug, _repo, _size in world.teams:
            people = world.team_on(team, day)
            weeks = _weeks_in(world, team, day)
            rate = len(people) * (0.25 if weekend else 1.0) * (2.6 if weeks is not None else 1)
            for _ in range(_poisson(rng, rate)):
                if not deck:
                    # Tiers dealt from shuffled decks of 100: the router's 71 / 24 / 5 % split
                    # holds exactly, whatever the day-to-day noise.
                    deck = [tier for tier, share in TIER_SHARES.items() for _ in range(share)]
                    rng.shuffle(deck)
                tier = deck.pop()
                usable = [r for r in by_tier[tier] if r.since is None or r.since <= day]
                route = rng.choice(usable or by_tier[tier])
                if weeks is not None and tier == "standard":
                    # A pilot team's router pins the offering's standard model, then switches.
                    name = SWITCH_ROUTES[_switched(world, team, weeks)]
                    route = by_name.get(name, route)
                serial += 1
                user = rng.choice(people)
                writer.writerow(
                    _litellm_row(
                        rng=rng,
                        serial=serial,
                        day=day,
                        name=route.name,
                        route=route,
                        user=user,
                        slug=slug,
                    )
                )
                if unknown_left and team == "Growth" and tier == "fast" and serial % 5 == 0:
                    # Someone pointed a script at a model nobody registered.
                    serial += 1
                    unknown_left -= 1
                    writer.writerow(
                        _litellm_row(
                            rng=rng,
                            serial=serial,
                            day=day,
                            name=UNKNOWN_MODEL[0],
                            route=route,
                            user=user,
                            slug=slug,
                        )
                    )
        day += timedelta(days=1)
    return buffer.getvalue().encode()


def _litellm_row(*, rng, serial: int, day: date, name: str, route: Route, user: str, slug: str):
    prompt_median, completion_median = TIER_TOKENS[route.tier]
    prompt = max(50, int(rng.lognormvariate(math.log(prompt_median), 0.6)))
    completion = max(5, int(rng.lognormvariate(math.log(completion_median), 0.7)))
    # Agents resend long prefixes; about two requests in five hit the provider's prompt cache.
    cached = int(prompt * rng.uniform(0.5, 0.9)) if rng.random() < 0.4 else 0
    price_in, price_cached, price_out = route.prices
    spend = (
        (prompt - cached) * price_in + cached * price_cached + completion * price_out
    ) / 1_000_000
    start = datetime.combine(day, time(7), tzinfo=UTC) + timedelta(
        seconds=rng.randint(0, 12 * 3600)
    )
    latency = timedelta(milliseconds=rng.randint(300, 900) + completion * 12)
    request_id = f"chatcmpl-{_sha('demo', serial)[:24]}"
    metadata = {
        "user_api_key_team_alias": f"team-{slug}",
        "user_api_key_user_id": user,
        "usage_object": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }
    return (
        request_id,
        "acompletion",
        _sha("key", slug)[:64],
        str(spend.quantize(Decimal("0.00000001"), ROUND_HALF_UP)),
        prompt + completion,
        prompt,
        completion,
        start.isoformat(),
        (start + latency).isoformat(),
        (start + latency / 3).isoformat(),
        name,
        _sha(name)[:16],
        f"{route.tier}-tier",
        route.provider,
        f"https://{route.provider}.gateway.{ORG}.internal/v1",
        user,
        orjson.dumps(metadata).decode(),
        "False",
        "",
        orjson.dumps([f"tier:{route.tier}", "ide"]).decode(),
        f"team-{slug}",
        "",
        "10.20.0.1",
        _sha("session", serial)[:12],
        "success",
    )


# --- Copilot -------------------------------------------------------------------------------------


@dataclass
class Copilot:
    """User-level reports per month, the organisation's daily records, the seats answer."""

    users: dict[str, list[dict]]
    organization: list[dict]
    billing: dict


def copilot_reports(world: World, *, seed: int = SEED) -> Copilot:
    """The two whole months before the demo's month: each seat holder's days, and totals."""
    rng = _rng(seed + 3)
    seats = sorted(rng.sample(world.logins(), COPILOT_SEATS))
    # A fifth of the seats are paid for and idle: the finance page shows them.
    habits = {login: (0.0 if rng.random() < 0.2 else rng.uniform(0.35, 0.95)) for login in seats}
    first = (world.anchor.replace(day=1) - timedelta(days=1)).replace(day=1)
    first = (first - timedelta(days=1)).replace(day=1)
    last = world.anchor.replace(day=1)
    users: dict[str, list[dict]] = defaultdict(list)
    organization: list[dict] = []
    active_days: dict[str, set[date]] = defaultdict(set)
    day = first
    while day < last:
        totals = defaultdict(int)
        actives = 0
        for login in seats:
            if day.weekday() >= 5 or rng.random() >= habits[login]:
                continue
            record = _copilot_user(rng=rng, day=day, login=login)
            users[f"{day:%Y-%m}"].append(record)
            active_days[login].add(day)
            actives += 1
            for name in (
                "code_generation_activity_count",
                "code_acceptance_activity_count",
                "loc_suggested_to_add_sum",
                "loc_added_sum",
                "user_initiated_interaction_count",
            ):
                totals[name] += record[name]
        weekly = sum(
            1 for days in active_days.values() if any(day - d < timedelta(7) for d in days)
        )
        monthly = sum(
            1 for days in active_days.values() if any(day - d < timedelta(28) for d in days)
        )
        organization.append(
            {
                "day": day.isoformat(),
                "organization_id": "4242",
                "daily_active_users": actives,
                "weekly_active_users": weekly,
                "monthly_active_users": monthly,
                **dict(totals),
                "loc_suggested_to_delete_sum": 0,
                "loc_deleted_sum": 0,
            }
        )
        day += timedelta(days=1)
    active = sum(1 for days in active_days.values() if days)
    billing = {
        "seat_breakdown": {
            "total": COPILOT_SEATS,
            "added_this_cycle": 3,
            "pending_invitation": 0,
            "pending_cancellation": 2,
            "active_this_cycle": active,
            "inactive_this_cycle": COPILOT_SEATS - active,
        },
        "seat_management_setting": "assign_selected",
        "ide_chat": "enabled",
        "platform_chat": "enabled",
        "cli": "enabled",
        "public_code_suggestions": "block",
        "plan_type": "business",
    }
    return Copilot(users=dict(users), organization=organization, billing=billing)


def _copilot_user(*, rng, day: date, login: str) -> dict:
    generations = rng.randint(4, 60)
    acceptances = int(generations * rng.uniform(0.2, 0.45))
    suggested = generations * rng.randint(3, 8)
    added = int(suggested * rng.uniform(0.25, 0.5))
    interactions = rng.randint(0, 14)
    counts = {
        "code_generation_activity_count": generations,
        "code_acceptance_activity_count": acceptances,
        "loc_suggested_to_add_sum": suggested,
        "loc_suggested_to_delete_sum": 0,
        "loc_added_sum": added,
        "loc_deleted_sum": 0,
    }
    return {
        **counts,
        "day": day.isoformat(),
        "organization_id": "4242",
        "enterprise_id": "9001",
        "user_id": int(_sha(login)[:8], 16),
        "user_login": login,
        "user_initiated_interaction_count": interactions,
        "used_agent": rng.random() < 0.25,
        "used_chat": interactions > 0,
        "used_cli": False,
        "totals_by_feature": [
            {"feature": "code_completion", **counts, "user_initiated_interaction_count": 0}
        ],
        "totals_by_ide": [
            {
                "ide": rng.choice(("vscode", "intellij")),
                **counts,
                "user_initiated_interaction_count": interactions,
            }
        ],
    }


# --- writing and importing -----------------------------------------------------------------------


def evidence_dir(directory: str | Path | None = None) -> Path:
    """Where the demo's evidence files go: the given directory, else VAR_DIR/demo-evidence."""
    return Path(directory) if directory else Path(settings.VAR_DIR) / "demo-evidence"


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Unchanged bytes are not rewritten, so a reseed leaves the files' times alone too.
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    return path


def members_csv(world: World) -> bytes:
    """login,team,from,to: one row per membership period, teams named by their GitHub slug."""
    slugs = {t[0]: t[3] for t in world.teams}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("login", "team", "from", "to"))
    for m in sorted(world.members, key=lambda m: (m.login, m.start)):
        writer.writerow((m.login, slugs[m.team], m.start, m.end or ""))
    return buffer.getvalue().encode()


def write_files(*, world: World, directory: Path) -> list[tuple[str, Path, dict]]:
    """Write every file; return (command, path, options) in the order they are imported."""
    github = github_records(world)
    copilot = copilot_reports(world)
    imports = [
        ("import_team_members", _write(directory / "teams/members.csv", members_csv(world)), {}),
        (
            "import_pull_requests",
            _write(directory / f"github/{ORG}.json", github_transcript(github)),
            {},
        ),
        (
            "import_gateway_logs",
            _write(
                directory / "gateway/litellm-spend-logs.csv", gateway_csv(world, gateway_routes())
            ),
            {},
        ),
    ]
    for month, records in sorted(copilot.users.items()):
        data = b"".join(orjson.dumps(r) + b"\n" for r in records)
        imports.append(
            (
                "import_copilot_metrics",
                _write(directory / f"copilot/users-{month}.ndjson", data),
                {},
            )
        )
    organization = b"".join(orjson.dumps(r) + b"\n" for r in copilot.organization)
    imports.append(
        (
            "import_copilot_metrics",
            _write(directory / "copilot/organization.ndjson", organization),
            {"scope": ORG},
        )
    )
    billing = orjson.dumps(copilot.billing, option=orjson.OPT_INDENT_2) + b"\n"
    imports.append(
        (
            "import_copilot_metrics",
            _write(directory / "copilot/billing.json", billing),
            {"scope": ORG, "day": world.anchor.isoformat()},
        )
    )
    return imports


def _ensure_teams(*, users: dict) -> None:
    """The twelve demo teams, each with its gateway key and GitHub team slug."""
    from governance.models import Team
    from governance.services.pilots import team_create

    for name, cost_centre, headcount, slug, _repo, _size in TEAMS:
        team = Team.objects.filter(name=name).first() or team_create(
            name=name, cost_centre=cost_centre, headcount=headcount, actor=users[Role.AI_PM]
        )
        keys = {"gateway_key": f"team-{slug}", "github_slug": slug}
        if any(getattr(team, k) != v for k, v in keys.items()):
            # No service edits these two naming fields yet; the admin writes them the same way.
            Team.objects.filter(pk=team.pk).update(**keys)


def _already_imported(*, command: str, path: Path, options: dict) -> bool:
    from governance.models import ImportRun
    from governance.models.evidence import ImportStatus

    kinds = {
        "import_team_members": "team_members",
        "import_pull_requests": "pull_requests",
        "import_gateway_logs": "gateway_logs",
        "import_copilot_metrics": "copilot_metrics",
    }
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return any(
        run_options.get("day") == options.get("day")
        for run_options in ImportRun.objects.filter(
            kind=kinds[command],
            file_sha256=digest,
            status=ImportStatus.SUCCEEDED,
            dry_run=False,
        ).values_list("options", flat=True)
    )


def _command_line(*, command: str, path: Path, options: dict, user: str) -> list[str]:
    args = [command, str(path), "--as-user", user]
    for name, value in options.items():
        args += [f"--{name}", value]
    return args


def _baselines(*, users: dict, anchor: date) -> list[str]:
    """Editable demo pilots take their baselines from the imported evidence."""
    from governance.models import Pilot
    from governance.services.team_metrics import pilot_baselines_compute

    done = []
    for pilot in Pilot.objects.filter(status__in=Pilot.EDITABLE).order_by("pk"):
        # The demo's future pilots start after the evidence ends: use the weeks before it.
        # Keys the evidence cannot compute (cycle time per tier: the demo's gateway requests
        # name no pull request) keep the typed value, so the draft can still be submitted.
        end = min(pilot.planned_start, anchor)
        recorded = pilot_baselines_compute(pilot=pilot, actor=users[Role.AI_PM], end=end)
        done.append(f"{pilot.title} ({len(recorded)})")
    return done


def seed_evidence(
    *, users: dict, directory: str | Path | None = None, write: Callable[[str], None] = print
) -> int:
    """Write the demo's evidence files and import the new ones through the commands.

    Returns how many files were imported (0 on a reseed whose files are unchanged).
    """
    from governance.models import Pilot

    _ensure_teams(users=users)
    anchor = demo_anchor()
    pilots = {
        team.name: pilot.started_on
        for pilot in Pilot.objects.filter(status=PilotStatus.RUNNING).prefetch_related("teams")
        for team in pilot.teams.all()
    }
    world = build_world(anchor=anchor, pilots=pilots)
    root = evidence_dir(directory)
    imported = 0
    stream = _Writer(write)
    for command, path, options in write_files(world=world, directory=root):
        user = (
            Role.FINANCE
            if command == "import_copilot_metrics" and "day" in options
            else Role.PLATFORM
        )
        if _already_imported(command=command, path=path, options=options):
            continue
        args = _command_line(command=command, path=path, options=options, user=users[user].username)
        write(f"$ manage.py {' '.join(args)}")
        call_command(*args, verbosity=0, stdout=stream)
        imported += 1
    if imported:
        computed = _baselines(users=users, anchor=anchor)
        if computed:
            write(f"Computed baselines from the evidence: {'; '.join(computed)}")
    return imported


class _Writer(io.TextIOBase):
    """Hands a command's output to seed_demo's writer, line by line."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write

    def write(self, text: str) -> int:
        for line in text.rstrip("\n").splitlines():
            self._write(line)
        return len(text)


def tier_shares() -> dict[str, dict[str, Decimal]]:
    """Requests and spend per routing tier from GatewayDaily, in percent of the known tiers."""
    from governance.models import GatewayDaily

    rows = {
        row["tier"]: row
        for row in GatewayDaily.objects.exclude(tier="")
        .values("tier")
        .annotate(requests=Sum("requests"), spend=Sum("spend"))
        .order_by()
    }
    total_requests = sum(r["requests"] for r in rows.values())
    total_spend = sum(r["spend"] for r in rows.values())
    shares = {}
    for tier in TIER_SHARES:
        row = rows.get(tier, {"requests": 0, "spend": Decimal(0)})
        shares[tier] = {
            "requests": Decimal(100 * row["requests"]) / (total_requests or 1),
            "spend": Decimal(100) * row["spend"] / (total_spend or 1),
            "spend_total": row["spend"],
        }
    return shares


def tier_summary() -> str:
    """One line for seed_demo: requests and spend per tier, or '' with no gateway data."""
    shares = tier_shares()
    if not any(s["spend_total"] for s in shares.values()):
        return ""
    requests = ", ".join(f"{t} {s['requests']:.1f} %" for t, s in shares.items())
    spend = ", ".join(
        f"{t} {s['spend']:.1f} % (USD {s['spend_total']:,.2f})" for t, s in shares.items()
    )
    return f"Gateway requests by tier: {requests}; spend: {spend}."

"""Benchmark P6: importing GitHub pull-request history versus PostgreSQL COPY of the same rows.

  DATABASE_URL=postgres://... python bench/prs.py [--prs 100000]

Writes a JSON Lines file of --prs pulls (GitHub's REST shape) and about two reviews each to a
temporary directory, imports it through the import service exactly as `import_pull_requests`
does (import_create + import_execute: parse, validate, upsert, recount reviews, attribute
teams, refresh the team series), then COPYs the same rows into two bare tables (no index, no
constraint) in the same run, and prints rows per second for both and their ratio. A second
import of the same file (nothing changes) is timed too. Its rows are in the repository
bench/prs, removed before and after.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.config.settings")

import django

django.setup()

import orjson  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from governance.models.evidence import ImportKind, ImportStatus, PullRequest  # noqa: E402
from governance.services.imports import import_create, import_execute  # noqa: E402

REPO = "bench/prs"
API = f"https://api.github.com/repos/{REPO}"
START = datetime(2026, 1, 5, 9, tzinfo=UTC)
AUTHORS = [f"dev{i:03d}" for i in range(300)]
STATES = ["APPROVED", "COMMENTED", "CHANGES_REQUESTED"]
BRANCHES = ["feature/", "fix/", "copilot/", "claude/", "chore/"]
COPY_PULLS = (
    "repo text, number integer, author text, author_is_bot boolean, created_at timestamptz, "
    "updated_at timestamptz, merged_at timestamptz, closed_at timestamptz, additions integer, "
    "deletions integer, changed_files integer, labels jsonb, head_ref text, base_ref text, "
    "draft boolean"
)
COPY_REVIEWS = "repo text, number integer, github_id bigint, reviewer text, state text, "
COPY_REVIEWS += "submitted_at timestamptz"


def _iso(moment: datetime) -> str:
    """A time as GitHub writes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(prs: int, seed: int = 6) -> tuple[list[dict], list[dict]]:
    """Pulls and reviews in GitHub's shapes, the same every run."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not a secret
    pulls, reviews = [], []
    review_id = 4_000_000_000
    for number in range(1, prs + 1):
        created = START + timedelta(minutes=7 * number)
        merged = created + timedelta(hours=rng.randint(1, 96)) if rng.random() < 0.8 else None
        author = rng.choice(AUTHORS)
        pulls.append(
            {
                "url": f"{API}/pulls/{number}",
                "number": number,
                "state": "closed" if merged else "open",
                "title": f"Change {number}",
                "user": {"login": author, "type": "User"},
                "created_at": _iso(created),
                "updated_at": _iso(merged or created + timedelta(hours=1)),
                "merged_at": _iso(merged) if merged else None,
                "closed_at": _iso(merged) if merged else None,
                "labels": [{"name": "ai-assisted"}] if rng.random() < 0.1 else [],
                "head": {"ref": f"{rng.choice(BRANCHES)}{number}"},
                "base": {"ref": "main", "repo": {"full_name": REPO}},
                "draft": False,
                "additions": rng.randint(1, 800),
                "deletions": rng.randint(0, 300),
                "changed_files": rng.randint(1, 30),
            }
        )
        for k in range(rng.choice((1, 2, 2, 3))):
            review_id += 1
            reviews.append(
                {
                    "id": review_id,
                    "user": {"login": rng.choice(AUTHORS), "type": "User"},
                    "state": STATES[k % 3] if k < 2 else "APPROVED",
                    "pull_request_url": f"{API}/pulls/{number}",
                    "submitted_at": _iso(created + timedelta(minutes=30 * (k + 1))),
                }
            )
    return pulls, reviews


def _clean() -> None:
    """Remove the bench's pull requests (their reviews go with them)."""
    PullRequest.objects.filter(repo=REPO).delete()


def _copy(pulls: list[dict], reviews: list[dict]) -> float:
    """COPY the rows into two bare tables; return the seconds the COPY took."""
    pull_rows = [
        (
            REPO,
            p["number"],
            p["user"]["login"],
            False,
            p["created_at"],
            p["updated_at"],
            p["merged_at"],
            p["closed_at"],
            p["additions"],
            p["deletions"],
            p["changed_files"],
            orjson.dumps([label["name"] for label in p["labels"]]).decode(),
            p["head"]["ref"],
            p["base"]["ref"],
            p["draft"],
        )
        for p in pulls
    ]
    review_rows = [
        (
            REPO,
            int(r["pull_request_url"].rsplit("/", 1)[1]),
            r["id"],
            r["user"]["login"],
            r["state"],
            r["submitted_at"],
        )
        for r in reviews
    ]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_pr_copy, bench_pr_review_copy")
        cursor.execute(f"CREATE TABLE bench_pr_copy ({COPY_PULLS})")
        cursor.execute(f"CREATE TABLE bench_pr_review_copy ({COPY_REVIEWS})")
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.copy("COPY bench_pr_copy FROM STDIN") as copy:
            for row in pull_rows:
                copy.write_row(row)
        with cursor.copy("COPY bench_pr_review_copy FROM STDIN") as copy:
            for row in review_rows:
                copy.write_row(row)
    elapsed = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_pr_copy, bench_pr_review_copy")
    return elapsed


def run(prs: int) -> dict:
    """Import the generated file twice through the service, COPY the rows; return figures."""
    if connection.vendor != "postgresql":
        raise SystemExit("bench/prs.py needs PostgreSQL (DATABASE_URL) for its COPY baseline.")
    user, _ = User.objects.get_or_create(username="bench-platform")
    user.groups.add(Group.objects.get(name="platform"))
    pulls, reviews = generate(prs)
    rows = len(pulls) + len(reviews)
    figures: dict = {"prs": len(pulls), "reviews": len(reviews), "rows": rows}
    _clean()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prs.jsonl"
        with path.open("wb") as handle:
            for record in (*pulls, *reviews):
                handle.write(orjson.dumps(record) + b"\n")
        figures["file_mb"] = path.stat().st_size / 1e6
        for label in ("import", "reimport"):
            began = time.perf_counter()
            imported = import_create(kind=ImportKind.PULL_REQUESTS, actor=user, path=str(path))
            imported = import_execute(run_id=imported.pk)
            figures[label] = rows / (time.perf_counter() - began)
            assert imported.status == ImportStatus.SUCCEEDED, imported.errors[:5]
            figures[f"{label}_written"] = imported.created + imported.updated
    figures["copy"] = rows / _copy(pulls, reviews)
    figures["ratio"] = figures["import"] / figures["copy"]
    _clean()
    return figures


def main() -> None:
    """Run the benchmark and print P6."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--prs", type=int, default=100_000)
    f = run(parser.parse_args().prs)
    print(
        f"pulls={f['prs']} reviews={f['reviews']} file={f['file_mb']:.1f} MB "
        f"written={f['import_written']} (re-import wrote {f['reimport_written']})"
    )
    print(
        f"P6 pr-import/COPY = {f['ratio']:.3f} (import {f['import']:,.0f} rows/s, "
        f"copy {f['copy']:,.0f} rows/s; re-import of the same file {f['reimport']:,.0f} rows/s)"
    )


if __name__ == "__main__":
    main()

"""GitHub pull-request history: the file importer, the API connector and their commands.

The recorded files under tests/data/github are GitHub's REST shapes (pulls as `gh api
--paginate` writes them, reviews, commits with the pull number added, issues); the connector
runs against a real local HTTP server answering with the same records.
"""

import json
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from werkzeug import Response

from governance.models import ImportRun, TeamMember
from governance.models.evidence import (
    EscapedDefect,
    ImportKind,
    ImportStatus,
    PullRequest,
    PullRequestReview,
)
from governance.services.imports import import_create, import_execute
from tests.factories import TeamFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "github"
REPO = "acme/payments"
pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    """A UTC time from 'YYYY-MM-DDTHH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def run_file(path, actor, **kwargs) -> ImportRun:
    """Import one file through the service, as the command and the API do."""
    run = import_create(kind=ImportKind.PULL_REQUESTS, actor=actor, path=str(path), **kwargs)
    return import_execute(run_id=run.pk)


def command(*args, **kwargs) -> str:
    """Run a management command and return what it printed on stdout."""
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **kwargs)
    return out.getvalue()


def pr(number: int) -> PullRequest:
    return PullRequest.objects.get(repo=REPO, number=number)


@pytest.fixture
def imported(ai_pm):
    """The recorded pulls, reviews, commits and issues, imported in that order."""
    runs = {name: run_file(DATA / name, ai_pm) for name in ("pulls.json", "reviews.json")}
    runs["commits.jsonl"] = run_file(DATA / "commits.jsonl", ai_pm)
    runs["issues.json"] = run_file(DATA / "issues.json", ai_pm)
    for run in runs.values():
        assert run.status == ImportStatus.SUCCEEDED, run.errors
    return runs


# --- the file importer ------------------------------------------------------------------


def test_pulls_from_concatenated_pages_with_hand_checked_values(imported):
    run = imported["pulls.json"]
    assert (run.rows_read, run.created, run.updated, run.skipped) == (6, 6, 0, 0)
    p = pr(101)
    assert (p.author, p.author_is_bot, p.draft) == ("alice", False, False)
    assert (p.additions, p.deletions, p.changed_files) == (120, 30, 5)
    assert (p.created_at, p.merged_at) == (at("2026-10-01T09:00"), at("2026-10-03T11:00"))
    assert p.review_requested_at == p.created_at
    assert (p.head_ref, p.base_ref, p.labels) == ("feature/ledger", "main", ["backend"])
    # The run that last changed a pull is kept: #101 gained co-authors later, #102 did not.
    assert (p.import_run_id, pr(102).import_run_id) == (imported["commits.jsonl"].pk, run.pk)
    assert pr(105).author == "dave"  # "Dave" on GitHub: logins are kept lower-case
    assert pr(106).draft and pr(106).merged_at is None and pr(106).closed_at is not None
    assert pr(102).author_is_bot
    # No team membership is known: the service names every author, with their pull count.
    assert run.report["unknown_authors"] == {
        "alice": 2,
        "bob": 1,
        "carol": 1,
        "copilot-swe-agent[bot]": 1,
        "dave": 1,
    }


def test_reviews_are_counted_without_the_authors_own_and_latest_approval_kept(imported):
    run = imported["reviews.json"]
    assert (run.rows_read, run.created, run.updated) == (7, 6, 0)
    assert run.report["ignored"] == {"pending review": 1}
    assert PullRequestReview.objects.count() == 6
    assert set(
        PullRequestReview.objects.filter(pull_request__number=101).values_list(
            "reviewer", flat=True
        )
    ) == {"alice", "bob", "carol"}
    # alice's COMMENTED review of her own pull is a reply, not review work.
    assert (pr(101).review_count, pr(101).last_approved_at) == (3, at("2026-10-03T10:30"))
    assert (pr(102).review_count, pr(102).last_approved_at) == (1, at("2026-10-05T15:00"))
    assert (pr(104).review_count, pr(104).last_approved_at) == (1, None)
    assert (pr(103).review_count, pr(103).last_approved_at) == (0, None)


def test_commit_trailers_become_co_authors(imported):
    run = imported["commits.jsonl"]
    # Two pulls gain co-authors; the wrapper's pull (#104) has none, so it is not touched.
    assert (run.rows_read, run.created, run.updated) == (4, 0, 2)
    assert pr(101).co_authors == ["Claude <noreply@anthropic.com>", "bob <bob@acme.test>"]
    assert pr(105).co_authors == ["Devin Smith <devin.smith@acme.test>", "Erin <erin@acme.test>"]
    assert pr(104).co_authors == []


def test_escaped_defects_link_to_the_merged_pull_they_name(imported):
    run = imported["issues.json"]
    assert (run.rows_read, run.created, run.updated) == (5, 3, 0)
    defects = {d.number: d for d in EscapedDefect.objects.all()}
    assert set(defects) == {200, 201, 203}
    assert (defects[200].pull_request, defects[200].referenced) == (pr(101), "acme/payments#101")
    assert defects[201].pull_request == pr(104)  # by URL, label matched ignoring case
    assert defects[200].opened_at == at("2026-10-12T09:00")
    assert defects[200].title == "Refund totals off by a cent"
    # #103 is still open: named, but not an escaped defect of a merged pull.
    assert (defects[203].pull_request, defects[203].referenced) == (None, "acme/payments#103")
    assert run.report["unresolved_defect_references"] == {"acme/payments#103": 1}
    assert run.report["ignored"] == {
        "issue without the defect label": 1,
        "pull request listed as an issue": 1,
    }


def test_a_defect_imported_before_its_pull_is_linked_when_the_pull_arrives(ai_pm):
    first = run_file(DATA / "issues.json", ai_pm)
    assert first.status == ImportStatus.SUCCEEDED, first.errors
    assert EscapedDefect.objects.get(number=200).pull_request is None
    pulls = run_file(DATA / "pulls.json", ai_pm)
    assert EscapedDefect.objects.get(number=200).pull_request == pr(101)
    assert EscapedDefect.objects.get(number=201).pull_request == pr(104)
    assert (pulls.created, pulls.updated) == (6, 2)


def test_ai_assisted_rules_each_name_their_signal(imported):
    signals = {p.number: (p.ai_assisted, p.ai_signal) for p in PullRequest.objects.all()}
    assert signals == {
        101: (True, "co-author:Claude <noreply@anthropic.com>"),
        102: (True, "bot:copilot-swe-agent[bot]"),
        103: (True, "label:ai-assisted"),
        104: (True, "branch:codex/"),
        # A person called Devin is not Devin: the default needle is "devin-ai".
        105: (False, ""),
        106: (False, ""),
    }


def test_ai_assisted_rules_come_from_the_setting(settings, ai_pm):
    # Labels and branches turned off, a site-specific co-author needle added; bots default.
    settings.TOLLGATE_AI_ASSISTED = {
        "labels": [],
        "branch_prefixes": [],
        "co_authors": ["erin@"],
    }
    run_file(DATA / "pulls.json", ai_pm)
    run_file(DATA / "commits.jsonl", ai_pm)
    signals = {p.number: p.ai_signal for p in PullRequest.objects.filter(ai_assisted=True)}
    assert signals == {
        102: "bot:copilot-swe-agent[bot]",
        105: "co-author:Erin <erin@acme.test>",
    }


def test_reimporting_the_same_files_changes_nothing(imported, ai_pm):
    before = list(PullRequest.objects.values().order_by("pk"))
    for name in ("pulls.json", "reviews.json", "commits.jsonl", "issues.json"):
        again = run_file(DATA / name, ai_pm)
        assert (again.status, again.created, again.updated) == (ImportStatus.SUCCEEDED, 0, 0)
    after = list(PullRequest.objects.values().order_by("pk"))
    # The team is attributed after every import; everything this importer writes is equal.
    assert after == before
    assert (PullRequest.objects.count(), PullRequestReview.objects.count()) == (6, 6)
    assert EscapedDefect.objects.count() == 3


def test_a_dismissed_review_updates_the_pulls_figures(imported, ai_pm, tmp_path):
    review = recorded("reviews.json")[3]  # carol's approval of #101, the latest
    review["state"] = "DISMISSED"
    path = tmp_path / "dismissed.jsonl"
    path.write_text(json.dumps(review) + "\n")
    run = run_file(path, ai_pm)
    assert (run.created, run.updated) == (0, 1)
    assert PullRequestReview.objects.get(github_id=review["id"]).state == "DISMISSED"
    assert (pr(101).review_count, pr(101).last_approved_at) == (3, at("2026-10-02T10:00"))


def test_an_overlapping_json_lines_file_never_double_counts(ai_pm):
    run_file(DATA / "pulls.json", ai_pm)
    overlap = run_file(DATA / "pulls_overlap.jsonl", ai_pm)
    assert overlap.status == ImportStatus.SUCCEEDED, overlap.errors
    # #105 and #106 were already there, unchanged; #107 is new.
    assert (overlap.rows_read, overlap.created, overlap.updated) == (3, 1, 0)
    assert PullRequest.objects.count() == 7
    assert pr(107).merged_at == at("2026-10-10T08:00")


def test_a_changed_pull_counts_as_one_update(ai_pm, tmp_path):
    run_file(DATA / "pulls.json", ai_pm)
    record = json.loads((DATA / "pulls_overlap.jsonl").read_text().splitlines()[0])
    record.update(updated_at="2026-10-09T00:00:00Z", additions=41, labels=[{"name": "ai-assisted"}])
    path = tmp_path / "changed.jsonl"
    path.write_text(json.dumps(record) + "\n" + json.dumps(record) + "\n")
    run = run_file(path, ai_pm)
    assert (run.rows_read, run.created, run.updated) == (2, 0, 1)
    assert (pr(105).additions, pr(105).ai_signal) == (41, "label:ai-assisted")


def test_an_older_file_never_turns_back_a_newer_pull(ai_pm, tmp_path):
    run_file(DATA / "pulls.json", ai_pm)
    stored = pr(105)
    record = json.loads((DATA / "pulls_overlap.jsonl").read_text().splitlines()[0])
    assert record["number"] == 105
    older = dict(record, merged_at=None, state="open", additions=1)
    older["updated_at"] = (stored.updated_at - timedelta(days=3)).isoformat()
    path = tmp_path / "older.jsonl"
    path.write_text(json.dumps(older) + "\n")
    run = run_file(path, ai_pm)
    assert (run.status, run.updated) == ("succeeded", 0)
    assert (pr(105).merged_at, pr(105).additions) == (stored.merged_at, stored.additions)


def test_the_list_endpoints_shape_keeps_the_stored_sizes(ai_pm):
    run_file(DATA / "pulls.json", ai_pm)
    run = run_file(DATA / "api" / "pulls_list_page1.json", ai_pm)
    assert (run.created, run.updated) == (0, 0)
    assert (pr(106).additions, pr(106).changed_files) == (300, 9)


def _bad_file(tmp_path) -> Path:
    """Four lines: a good pull, a bad date, a line that is not JSON, another good pull."""
    good = (DATA / "pulls_overlap.jsonl").read_text().splitlines()
    bad = json.loads(good[1])
    bad["created_at"] = "yesterday"
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([good[0], json.dumps(bad), '{"number": 7,', good[2]]) + "\n")
    return path


def test_bad_lines_are_named_and_reject_the_whole_file(ai_pm, tmp_path):
    run = run_file(_bad_file(tmp_path), ai_pm)
    assert run.status == ImportStatus.FAILED
    assert [(e["line"], e["field"]) for e in run.errors] == [(2, "created_at"), (3, "line")]
    assert "not a date and time" in run.errors[0]["message"]
    assert PullRequest.objects.count() == 0


def test_skip_bad_command_imports_the_good_lines_and_lists_the_bad(ai_pm, tmp_path):
    out = command("import_pull_requests", str(_bad_file(tmp_path)), as_user="ai_pm", skip_bad=True)
    assert "rows read 4, created 2, updated 0, skipped 2" in out
    assert "line 2: created_at: not a date and time: 'yesterday'" in out
    assert "line 3: line: not valid JSON" in out
    assert set(PullRequest.objects.values_list("number", flat=True)) == {105, 107}


def test_the_command_fails_and_lists_errors_without_skip_bad(ai_pm, tmp_path):
    out = StringIO()
    with pytest.raises(CommandError, match="Import failed: 2 error"):
        call_command("import_pull_requests", str(_bad_file(tmp_path)), as_user="ai_pm", stdout=out)
    assert "line 2: created_at" in out.getvalue()
    assert PullRequest.objects.count() == 0


def test_a_review_of_a_pull_never_imported_is_a_line_error(ai_pm):
    run_file(DATA / "pulls.json", ai_pm)
    run = run_file(DATA / "reviews_unknown_pull.jsonl", ai_pm)
    assert run.status == ImportStatus.FAILED
    assert run.errors == [
        {"line": 2, "field": "pull_request_url", "message": "pull request #999 not imported"}
    ]
    assert PullRequestReview.objects.count() == 0
    skipped = run_file(DATA / "reviews_unknown_pull.jsonl", ai_pm, skip_bad=True)
    assert (skipped.created, skipped.skipped) == (1, 1)


def test_a_pull_in_the_same_file_makes_its_review_known(ai_pm, tmp_path):
    pulls = json.loads((DATA / "pulls.json").read_text().split("\n][")[0] + "\n]")
    reviews = json.loads((DATA / "reviews.json").read_text())
    path = tmp_path / "both.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [*reviews[:4], *pulls]))
    run = run_file(path, ai_pm)
    assert (run.status, run.created) == (ImportStatus.SUCCEEDED, 3 + 4)
    assert pr(101).review_count == 3


def test_a_record_without_a_repository_needs_repo(ai_pm, tmp_path):
    record = json.loads((DATA / "pulls_overlap.jsonl").read_text().splitlines()[2])
    del record["base"]["repo"], record["url"]
    path = tmp_path / "norepo.jsonl"
    path.write_text(json.dumps(record) + "\n")
    run = run_file(path, ai_pm)
    assert (run.status, run.errors[0]["field"]) == (ImportStatus.FAILED, "repo")
    out = command("import_pull_requests", str(path), as_user="ai_pm", repo="Acme/Other")
    assert "created 1" in out
    assert PullRequest.objects.get().repo == "acme/other"


def test_a_file_that_is_not_utf8_fails_cleanly(ai_pm, tmp_path):
    lines = (DATA / "pulls_overlap.jsonl").read_bytes().splitlines()
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(lines[0] + b"\n" + lines[1].replace(b'"alice"', b'"al\xefce"') + b"\n")
    run = run_file(path, ai_pm)
    assert run.status == ImportStatus.FAILED
    assert run.errors == [{"line": 2, "field": "line", "message": "not UTF-8 text"}]
    pages = tmp_path / "latin1.json"
    pages.write_bytes((DATA / "pulls.json").read_bytes().replace(b'"bob"', b'"b\xf6b"'))
    run = run_file(pages, ai_pm)
    assert run.status == ImportStatus.FAILED
    assert [(e["line"], e["field"]) for e in run.errors] == [(1, "file")]
    assert "can't decode byte 0xf6" in run.errors[0]["message"]
    assert PullRequest.objects.count() == 0


def test_dry_run_command_counts_but_writes_nothing(ai_pm):
    out = command("import_pull_requests", str(DATA / "pulls.json"), as_user="ai_pm", dry_run=True)
    assert "succeeded (dry run: nothing written)" in out
    assert "rows read 6, created 6, updated 0, skipped 0" in out
    assert "unknown authors: alice (2)" in out
    assert PullRequest.objects.count() == 0


def test_the_command_refuses_an_unknown_user_and_a_role_without_the_right(db, security):
    with pytest.raises(CommandError, match="No user"):
        command("import_pull_requests", str(DATA / "pulls.json"), as_user="nobody-here")
    with pytest.raises(CommandError, match="Nothing imported"):
        command("import_pull_requests", str(DATA / "pulls.json"), as_user="security")
    assert ImportRun.objects.count() == 0


# --- the API connector ------------------------------------------------------------------

LIST = {"state": "all", "sort": "updated", "direction": "desc", "per_page": "100"}


def recorded(name: str):
    return json.loads((DATA / name).read_text())


def pages(name: str) -> list[list]:
    """The pages of a `gh api --paginate` file."""
    text = (DATA / name).read_text()
    decoder, found, index = json.JSONDecoder(), [], 0
    while index < len(text.rstrip()):
        page, index = decoder.raw_decode(text, index)
        found.append(page)
        while index < len(text) and text[index].isspace():
            index += 1
    return found


@pytest.fixture
def github(httpserver, settings):
    """A local GitHub answering with the recorded pages for acme/payments."""
    settings.GITHUB_API_URL = httpserver.url_for("/")
    settings.GITHUB_TOKEN = "test-token"
    settings.TOLLGATE_GITHUB_MAX_WAIT = 0.05
    base = f"/repos/{REPO}"
    next_link = (
        httpserver.url_for(f"{base}/pulls")
        + "?"
        + "&".join(f"{k}={v}" for k, v in {**LIST, "page": "2"}.items())
    )
    httpserver.expect_request(f"{base}/pulls", query_string=LIST).respond_with_json(
        recorded("api/pulls_list_page1.json"), headers={"Link": f'<{next_link}>; rel="next"'}
    )
    httpserver.expect_request(
        f"{base}/pulls", query_string={**LIST, "page": "2"}
    ).respond_with_json(recorded("api/pulls_list_page2.json"))
    details = [pull for page in pages("pulls.json") for pull in page]
    reviews = recorded("reviews.json")
    commits = [json.loads(line) for line in (DATA / "commits.jsonl").read_text().splitlines()]
    for pull in details:
        number = pull["number"]
        httpserver.expect_request(f"{base}/pulls/{number}").respond_with_json(pull)
        httpserver.expect_request(f"{base}/pulls/{number}/reviews").respond_with_json(
            [r for r in reviews if r["pull_request_url"].endswith(f"/pulls/{number}")]
        )
        # The API's commits carry no pull_number: that is the file format's addition.
        own = [
            {k: v for k, v in c.items() if k != "pull_number"}
            for c in commits
            if c.get("pull_number") == number and "commits" not in c
        ]
        httpserver.expect_request(f"{base}/pulls/{number}/commits").respond_with_json(own)
    httpserver.expect_request(
        f"{base}/issues",
        query_string={"labels": "escaped-defect", "state": "all", "per_page": "100"},
    ).respond_with_json(recorded("issues.json"))
    return httpserver


def sync(actor, **options) -> ImportRun:
    run = import_create(
        kind=ImportKind.GITHUB_SYNC, actor=actor, options={"org": "acme", **options}
    )
    return import_execute(run_id=run.pk)


def test_sync_pages_follows_the_link_header_and_waits_out_a_rate_limit(github, platform):
    # The first answer is GitHub's primary rate limit; the connector waits and asks again.
    github.expect_oneshot_request(f"/repos/{REPO}/pulls", query_string=LIST).respond_with_response(
        Response(
            '{"message": "API rate limit exceeded"}',
            status=403,
            headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 1)},
        )
    )
    run = sync(platform, repos=[REPO])
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    # 6 pulls + 6 submitted reviews + 1 pending + 6 commit wrappers + 5 issues.
    assert run.rows_read == 24
    assert run.created == 6 + 6 + 3
    assert PullRequest.objects.count() == 6
    # Sizes come from each pull's detail; the list endpoint has none.
    assert (pr(101).additions, pr(101).changed_files) == (120, 5)
    assert pr(101).co_authors == ["Claude <noreply@anthropic.com>", "bob <bob@acme.test>"]
    assert pr(101).ai_signal == "co-author:Claude <noreply@anthropic.com>"
    assert (pr(101).review_count, pr(101).last_approved_at) == (3, at("2026-10-03T10:30"))
    assert EscapedDefect.objects.get(number=200).pull_request == pr(101)
    pulls_calls = [r for r, _ in github.log if r.path == f"/repos/{REPO}/pulls"]
    assert [r.args.get("page") for r in pulls_calls] == [None, None, "2"]
    assert all(r.headers["Authorization"] == "Bearer test-token" for r, _ in github.log)


def test_a_second_sync_reads_only_what_changed_since(github, platform):
    assert sync(platform, repos=[REPO]).status == ImportStatus.SUCCEEDED
    github.clear_log()
    newer = recorded("api/pull_107.json")
    base = f"/repos/{REPO}"
    # Handlers registered first win, so the new listing goes in as one-shot answers.
    github.expect_oneshot_request(f"{base}/pulls", query_string=LIST).respond_with_json(
        [newer, *recorded("api/pulls_list_page1.json")]
    )
    github.expect_oneshot_request(f"{base}/pulls/107").respond_with_json(newer)
    github.expect_oneshot_request(f"{base}/pulls/107/reviews").respond_with_json([])
    github.expect_oneshot_request(f"{base}/pulls/107/commits").respond_with_json([])
    since = {"labels": "escaped-defect", "state": "all", "per_page": "100"}
    github.expect_oneshot_request(
        f"{base}/issues", query_string={**since, "since": "2026-10-08T10:00:00Z"}
    ).respond_with_json(recorded("api/issues_since.json"))

    run = sync(platform, repos=[REPO])
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    fetched = {r.path for r, _ in github.log}
    # #107 is new; #106 shares the cursor's second and is read again (and found unchanged);
    # nothing older is asked for, and the listing stops on its first page.
    assert f"{base}/pulls/107" in fetched and f"{base}/pulls/106" in fetched
    assert not fetched & {f"{base}/pulls/{n}" for n in (101, 102, 103, 104, 105)}
    assert [r.args.get("page") for r, _ in github.log if r.path == f"{base}/pulls"] == [None]
    assert (run.created, run.updated) == (2, 0)  # pull #107 and its defect, issue #204
    assert EscapedDefect.objects.get(number=204).pull_request == pr(107)


def test_sync_full_reads_everything_again_and_changes_nothing(github, platform):
    sync(platform, repos=[REPO])
    again = sync(platform, repos=[REPO], full=True)
    assert (again.status, again.created, again.updated) == (ImportStatus.SUCCEEDED, 0, 0)
    assert again.rows_read == 24


def test_sync_lists_the_orgs_repositories_and_records_new_team_members(github, platform):
    team = TeamFactory(name="Payments", github_slug="payments-eng")
    TeamFactory(name="Search", github_slug="search")
    TeamMember.objects.create(login="alice", team=team, valid_from="2026-01-01")
    carol = TeamMember.objects.create(login="carol", team=team, valid_from="2026-01-01")
    github.expect_request("/orgs/acme/repos").respond_with_json([{"full_name": REPO}])
    github.expect_request("/orgs/acme/teams").respond_with_json(
        [{"slug": "payments-eng"}, {"slug": "not-a-tollgate-team"}]
    )
    github.expect_request("/orgs/acme/teams/payments-eng/members").respond_with_json(
        [{"login": "Alice"}, {"login": "Bob"}]
    )
    out = command("sync_github", org="acme", teams=True, as_user="platform")
    assert "created 16" in out  # 6 pulls, 6 reviews, 3 defects, bob's membership
    members = set(TeamMember.objects.values_list("login", "team__name"))
    assert members == {("alice", "Payments"), ("bob", "Payments"), ("carol", "Payments")}
    # carol is no longer in the GitHub team: her membership ends yesterday
    carol.refresh_from_db()
    assert carol.valid_to == timezone.localdate() - timedelta(days=1)
    assert TeamMember.objects.get(login="alice").valid_to is None


def test_an_http_error_fails_the_sync_cleanly_naming_the_url(github, platform):
    github.expect_request("/repos/acme/gone/pulls").respond_with_json(
        {"message": "Not Found"}, status=404
    )
    out = StringIO()
    with pytest.raises(CommandError, match="Import failed"):
        call_command(
            "sync_github", org="acme", repo=[REPO, "acme/gone"], as_user="platform", stdout=out
        )
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.FAILED
    assert run.errors[0]["field"] == "api"
    assert "/repos/acme/gone/pulls" in run.errors[0]["message"]
    assert "HTTP 404" in run.errors[0]["message"]
    assert "HTTP 404" in out.getvalue()
    # The repository read before the failure is rolled back with it.
    assert PullRequest.objects.count() == 0


def test_a_sync_reads_the_api_before_its_transaction_opens(github, platform, monkeypatch):
    from django.db import connection

    from governance.importers import github_api

    seen = []
    real_get = github_api.GitHub.get
    # The test itself runs in a transaction; any atomic block the import opens adds a level.
    outer = len(connection.savepoint_ids)

    def get(self, *args, **kwargs):
        # Waits for rate limits happen here: no transaction may be open meanwhile.
        seen.append(len(connection.savepoint_ids) > outer)
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(github_api.GitHub, "get", get)
    run = import_execute(
        run_id=import_create(
            kind=ImportKind.GITHUB_SYNC, actor=platform, options={"org": "acme", "repos": [REPO]}
        ).pk
    )
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert seen and not any(seen)


def test_an_api_answering_nonsense_fails_the_run_cleanly(github, platform):
    github.expect_request("/orgs/acme/repos").respond_with_data("not json at all")
    run = import_execute(
        run_id=import_create(
            kind=ImportKind.GITHUB_SYNC, actor=platform, options={"org": "acme"}
        ).pk
    )
    assert run.status == ImportStatus.FAILED
    assert run.errors[0]["field"] in ("api", "import")
    assert PullRequest.objects.count() == 0

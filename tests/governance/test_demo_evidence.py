"""seed_demo's evidence: files in their real formats, imported through the real commands."""

import csv
import io
import statistics
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal

import orjson
import pytest
from django.core.management import call_command

from governance.importers.base import Errors, csv_rows, json_records
from governance.importers.github import Parser, Records
from governance.services import demo_evidence as de

ANCHOR = date(2026, 12, 2)
PILOT_START = ANCHOR - timedelta(days=110)
ROUTES = [
    de.Route("helix/helix-swift-3.1", "helix", "fast", (Decimal("0.25"),) * 3, None),
    de.Route("helix/helix-core-3.5", "helix", "standard", (Decimal("3"),) * 3, None),
    de.Route("helix/helix-max-3.5", "helix", "heavy", (Decimal("15"),) * 3, None),
]


@pytest.fixture(scope="module")
def world():
    return de.build_world(anchor=ANCHOR, pilots={"Platform API": PILOT_START})


@pytest.fixture(scope="module")
def github(world):
    return de.github_records(world)


def test_the_organisation_has_twelve_teams_150_engineers_and_some_movers(world):
    assert len({m.team for m in world.members}) == 12
    assert len(world.logins()) == 150
    moved = [login for login, n in Counter(m.login for m in world.members).items() if n > 1]
    assert len(moved) == de.MOVES
    rows = list(csv_rows(io.BytesIO(de.members_csv(world)), ("login", "team", "from", "to")))
    assert len(rows) == len(world.members)
    assert {"login", "team", "from", "to"} <= set(rows[0][1])
    assert sum(1 for _line, row in rows if row["to"]) == de.MOVES


def test_the_github_transcript_parses_as_gh_api_pages(github):
    data = de.github_transcript(github)
    assert data.startswith(b"[")
    errors = Errors(skip_bad=False)
    records = Records()
    parser = Parser(records=records, errors=errors)
    for line, record in json_records(io.BytesIO(data)):
        parser.add(line, record)
    assert errors.items == []
    assert 8000 <= len(records.pulls) <= 10000
    assert len(records.reviews) == len(github.reviews)
    assert len(records.issues) == len(github.issues) > 100
    trailers = {name for _lines, names in records.commits.values() for name in names}
    assert any("Copilot" in name for name in trailers)
    # Every escaped defect names a merged pull request of its own repository.
    merged = {key for key, (_line, pull) in records.pulls.items() if pull["merged_at"]}
    for (repo, _number), (_line, issue) in records.issues.items():
        assert issue["references"][0] in merged and issue["references"][0][0] == repo


def _median_hours(pulls, start: date, end: date) -> float:
    return statistics.median(
        (datetime.fromisoformat(p["merged_at"]) - datetime.fromisoformat(p["created_at"]))
        / timedelta(hours=1)
        for p in pulls
        if p["merged_at"] and start <= date.fromisoformat(p["created_at"][:10]) < end
    )


def test_the_pilot_team_follows_a_j_curve_and_the_control_teams_stay_flat(github):
    def windows(repo: str) -> tuple[float, float, float]:
        pulls = [p for p in github.pulls if p["base"]["repo"]["full_name"] == repo]
        before = _median_hours(pulls, PILOT_START - timedelta(weeks=12), PILOT_START)
        early = _median_hours(pulls, PILOT_START, PILOT_START + timedelta(weeks=4))
        late = _median_hours(pulls, PILOT_START + timedelta(weeks=8), ANCHOR - timedelta(weeks=1))
        return before, early, late

    before, early, late = windows("acme/platform-api")
    assert early > before * 1.15  # worse while the team learns
    assert 0.65 * before < late < 0.85 * before  # then 20-30 % better
    before, early, late = windows("acme/search-service")
    assert abs(early / before - 1) < 0.2 and abs(late / before - 1) < 0.2


def test_the_gateway_csv_has_litellm_columns_and_a_71_24_5_mix(world):
    data = de.gateway_csv(world, ROUTES)
    rows = [row for _line, row in csv_rows(io.BytesIO(data), ("request_id", "startTime"))]
    assert next(csv.reader(io.StringIO(data.decode()))) == list(de.LITELLM_HEADER)
    assert 15_000 <= len(rows) <= 40_000
    tiers = Counter(orjson.loads(row["request_tags"])[0] for row in rows)
    known = sum(tiers.values())
    shares = {tier: 100 * tiers[f"tier:{tier}"] / known for tier in ("fast", "standard", "heavy")}
    assert shares == pytest.approx({"fast": 71, "standard": 24, "heavy": 5}, abs=1)
    assert sum(1 for row in rows if row["model"] == de.UNKNOWN_MODEL[0]) == de.UNKNOWN_MODEL[1]
    cached = [orjson.loads(r["metadata"])["usage_object"]["prompt_tokens_details"] for r in rows]
    assert 0.3 < sum(1 for c in cached if c["cached_tokens"]) / len(rows) < 0.5
    assert {row["team_id"] for row in rows} == {f"team-{t[3]}" for t in de.TEAMS}


def test_the_copilot_reports_are_ndjson_with_github_fields(world):
    copilot = de.copilot_reports(world)
    assert sorted(copilot.users) == ["2026-10", "2026-11"]
    data = b"".join(orjson.dumps(r) + b"\n" for r in copilot.users["2026-11"])
    records = [record for _line, record in json_records(io.BytesIO(data))]
    assert {
        "day",
        "user_login",
        "code_generation_activity_count",
        "code_acceptance_activity_count",
        "loc_suggested_to_add_sum",
        "loc_added_sum",
        "user_initiated_interaction_count",
        "used_agent",
        "used_chat",
    } <= set(records[0])
    assert len(copilot.organization) == 61
    seats = copilot.billing["seat_breakdown"]
    assert seats["total"] == de.COPILOT_SEATS > seats["active_this_cycle"] > 0


def _counts() -> dict[str, int]:
    from django.apps import apps

    return {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("governance").get_models()
    }


@pytest.mark.django_db(transaction=False)
def test_seed_demo_imports_the_evidence_through_the_commands_once(tmp_path, capsys):
    from governance.models import (
        Baseline,
        ImportRun,
        Measurement,
        Pilot,
        PullRequest,
        Team,
        TeamMetricValue,
    )

    call_command("seed_demo", password="demo-pass-1", no_packets=True, evidence_dir=tmp_path)
    out = capsys.readouterr().out
    assert "$ manage.py import_gateway_logs" in out
    assert f"unknown models: {de.UNKNOWN_MODEL[0]} ({de.UNKNOWN_MODEL[1]})" in out
    assert "Gateway requests by tier: fast 71.0 %, standard 24.0 %, heavy 5.0 %" in out
    assert (tmp_path / "github/acme.json").exists()

    assert Team.objects.exclude(gateway_key="").exclude(github_slug="").count() == 12
    gateway = ImportRun.objects.get(kind="gateway_logs")
    assert gateway.report["unknown_models"] == {de.UNKNOWN_MODEL[0]: de.UNKNOWN_MODEL[1]}
    assert set(ImportRun.objects.values_list("status", flat=True)) == {"succeeded"}
    shares = de.tier_shares()
    for tier, expected in de.TIER_SHARES.items():
        assert abs(shares[tier]["requests"] - expected) <= 1
    assert PullRequest.objects.filter(team__isnull=True, author_is_bot=False).count() == 6

    # The running pilot's team: cycle time worse in its first weeks, better later.
    running = Pilot.objects.get(status="running")
    start = running.started_on

    def mean_cycle(weeks_from: int, weeks_to: int) -> float:
        values = TeamMetricValue.objects.filter(
            team__in=running.teams.all(),
            metric__code="cycle-time",
            tier="all",
            period_start__gte=start + timedelta(weeks=weeks_from),
            period_end__lt=start + timedelta(weeks=weeks_to),
        ).values_list("value", flat=True)
        return float(statistics.fmean(values))

    baseline, early, late = mean_cycle(-12, 0), mean_cycle(0, 4), mean_cycle(8, 15)
    assert early > baseline > late
    assert late < 0.85 * baseline
    assert Measurement.objects.filter(pilot=running, source="derived").exists()
    for pilot in Pilot.objects.filter(status__in=["draft", "submitted"]):
        derived = pilot.baselines.filter(source="derived")
        assert {"reviewer-load", "defect-escape-rate", "cost-per-request"} <= set(
            derived.values_list("metric__code", flat=True)
        )
        assert derived.first().provenance["method"]
    frozen = set(Baseline.objects.filter(pilot=running).values_list("source", flat=True))
    assert frozen == {"import"}

    before = _counts()
    call_command("seed_demo", no_packets=True, evidence_dir=tmp_path)
    assert _counts() == before
    assert "$ manage.py" not in capsys.readouterr().out


@pytest.mark.django_db
def test_no_evidence_skips_the_files(tmp_path):
    directory = tmp_path / "evidence"
    from governance.models import ImportRun

    call_command(
        "seed_demo",
        password="demo-pass-1",
        no_packets=True,
        no_evidence=True,
        evidence_dir=directory,
    )
    assert not ImportRun.objects.exists()
    assert not directory.exists()

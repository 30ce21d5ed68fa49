"""AI-gateway spend logs: LiteLLM CSV and JSON Lines, a mapped CSV, roll-ups, ledger and API.

The recorded files under tests/data/gateway hold eleven requests whose figures are worked out
by hand below; the same assertions run on SQLite and on PostgreSQL (the COPY path).
"""

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection

from governance.choices import Source, SpendScope
from governance.importers.gateway import _normal
from governance.management.commands.import_gateway_logs import load_mapping
from governance.models import GatewayDaily, GatewayRequest, ImportRun, ModelAlias, Spend
from governance.models.evidence import ImportKind, ImportStatus, TeamMember
from governance.services.imports import import_create, import_execute
from tests.factories import ModelVersionFactory, TeamFactory, VendorFactory
from tests.governance.gateway_months import daily_by_month, monthly

DATA = Path(__file__).resolve().parent.parent / "data" / "gateway"
URL = "/api/v1/spend/summary/"
pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def world():
    """Two vendors, four model versions (one per tier, two standard), three teams."""
    anthropic = VendorFactory(name="Anthropic", slug="anthropic")
    openai = VendorFactory(name="OpenAI", slug="openai")
    haiku = ModelVersionFactory(vendor=anthropic, family="claude-haiku", version="4.5", tier="fast")
    sonnet = ModelVersionFactory(
        vendor=anthropic, family="claude-sonnet", version="4.5", tier="standard"
    )
    opus = ModelVersionFactory(vendor=anthropic, family="claude-opus", version="4.1", tier="heavy")
    gpt = ModelVersionFactory(vendor=openai, family="gpt", version="5", tier="standard")
    ModelAlias.objects.create(name="fast-coder", model_version=haiku)
    payments = TeamFactory(name="Payments", gateway_key="9f1c2d3e-0000-4000-8000-00000000a001")
    search = TeamFactory(name="Search")
    infra = TeamFactory(name="Infra")
    TeamMember.objects.create(login="dana", team=infra, valid_from=date(2026, 10, 1))
    return {
        "anthropic": anthropic,
        "openai": openai,
        "haiku": haiku,
        "sonnet": sonnet,
        "opus": opus,
        "gpt": gpt,
        "payments": payments,
        "search": search,
        "infra": infra,
    }


def run_file(name: str, actor, **kwargs) -> ImportRun:
    options = kwargs.pop("options", {})
    run = import_create(
        kind=ImportKind.GATEWAY_LOGS, actor=actor, path=str(DATA / name), options=options, **kwargs
    )
    return import_execute(run_id=run.pk)


def daily() -> set[tuple]:
    return {
        (
            str(d.day),
            d.team.name if d.team else None,
            d.team_key,
            d.model,
            d.tier,
            d.requests,
            d.input_tokens,
            d.cached_tokens,
            d.output_tokens,
            d.spend,
        )
        for d in GatewayDaily.objects.select_related("team")
    }


PAY = "9f1c2d3e-0000-4000-8000-00000000a001"
SONNET = "anthropic/claude-sonnet-4-5-20250929"
CODESTRAL = "mistral/codestral-latest"
# Hand-computed from litellm_spend_logs.csv: req-004 at 23:30 -02:00 on 31 October is
# 01:30 UTC on 1 November; a known team's roll-up key is its gateway key, else its name.
EXPECTED_DAILY = {
    ("2026-10-30", "Payments", PAY, "fast-coder", "fast", 2, 3000, 400, 300, D("3")),
    ("2026-10-30", "Payments", PAY, SONNET, "standard", 1, 4000, 2000, 800, D("3")),
    ("2026-11-01", "Search", "Search", "claude-opus-4-1", "heavy", 1, 8000, 4000, 2000, D("50")),
    ("2026-11-01", "Search", "Search", SONNET, "standard", 1, 5000, 1000, 1000, D("4")),
    ("2026-11-01", "Payments", PAY, "openai/gpt-5", "standard", 1, 3000, 0, 500, D("2.5")),
    ("2026-11-01", "Payments", PAY, CODESTRAL, "", 1, 1000, 0, 300, D("0.5")),
    ("2026-11-01", "Infra", "Infra", CODESTRAL, "", 1, 1000, 0, 300, D("0.5")),
    ("2026-11-01", None, "ghosts", "fast-coder", "fast", 1, 1000, 0, 100, D("0.1")),
    ("2026-11-01", "Infra", "Infra", "fast-coder", "fast", 1, 1500, 500, 150, D("0.4")),
    ("2026-11-01", "Infra", "Infra", "claude-opus-4-1", "heavy", 1, 0, 0, 0, D("0")),
}


def test_litellm_csv_rolls_up_by_day_team_and_model(world, finance):
    run = run_file("litellm_spend_logs.csv", finance)
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert (run.rows_read, run.created, run.skipped) == (11, 11, 0)
    assert daily() == EXPECTED_DAILY
    first = GatewayRequest.objects.get(request_id="req-002")
    assert (first.model_version, first.tier, first.team, first.team_key) == (
        world["sonnet"],
        "standard",
        world["payments"],
        "payments",
    )
    assert (first.tags, first.cache_hit, first.cached_tokens, first.currency) == (
        ["agent", "pr"],
        True,
        2000,
        "USD",
    )
    assert GatewayRequest.objects.get(request_id="req-010").user == "dana"
    assert GatewayRequest.objects.get(request_id="req-011").status == "failure"


def test_unknown_models_and_teams_are_reported_with_counts(world, finance):
    run = run_file("litellm_spend_logs.csv", finance)
    assert run.report["unknown_models"] == {CODESTRAL: 2}
    assert run.report["unknown_teams"] == {"ghosts": 1}
    assert run.report["not_in_ledger"]["requests"] == 3
    assert run.report["not_in_ledger"]["spend"] == "1.10"
    unknown = GatewayRequest.objects.get(request_id="req-009")
    assert (unknown.team, unknown.team_key) == (None, "ghosts")
    assert GatewayRequest.objects.get(request_id="req-007").model_version is None


def test_jsonl_gives_the_same_rows_as_csv(world, finance):
    run = run_file("litellm_spend_logs.jsonl", finance)
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert (run.rows_read, run.created) == (11, 11)
    assert daily() == EXPECTED_DAILY
    assert run.report["unknown_models"] == {CODESTRAL: 2}


def test_reimporting_the_same_file_creates_nothing(world, finance):
    run_file("litellm_spend_logs.csv", finance)
    ledger = set(Spend.objects.values_list("month", "team", "category", "amount"))
    again = run_file("litellm_spend_logs.csv", finance)
    assert (again.status, again.created, again.report["already_imported"]) == (
        ImportStatus.SUCCEEDED,
        0,
        11,
    )
    assert GatewayRequest.objects.count() == 11
    assert daily() == EXPECTED_DAILY
    assert set(Spend.objects.values_list("month", "team", "category", "amount")) == ledger
    assert again.report["days_rolled_up"] == 0


def test_an_overlapping_file_adds_only_new_requests(world, finance):
    run_file("litellm_spend_logs.csv", finance)
    overlap = run_file("litellm_overlap.csv", finance)
    assert (overlap.rows_read, overlap.created, overlap.report["already_imported"]) == (3, 1, 2)
    assert daily() == EXPECTED_DAILY | {
        ("2026-11-02", "Payments", PAY, "fast-coder", "fast", 1, 1000, 100, 100, D("1")),
    }
    row = Spend.objects.get(
        month=date(2026, 11, 1), team=world["payments"], category="inference_fast"
    )
    assert row.amount == D("1.00")


def test_the_ledger_gets_inference_per_month_team_vendor_and_tier(world, finance):
    manual = Spend.objects.create(
        month=date(2026, 11, 1),
        amount=D("40.00"),
        scope=SpendScope.TEAM,
        team=world["search"],
        vendor=world["anthropic"],
        category="inference_heavy",
        source=Source.MANUAL,
        reference="invoice 7",
    )
    run = run_file("litellm_spend_logs.csv", finance)
    rows = {
        (str(s.month), s.team.name, s.vendor.name, s.category, s.amount, s.source, s.currency)
        for s in Spend.objects.select_related("team", "vendor")
    }
    # Infra's heavy month is 0.00 (a failed request) and stays off the ledger; requests with
    # no team or no known model never enter it.
    assert rows == {
        ("2026-10-01", "Payments", "Anthropic", "inference_fast", D("3.00"), "import", "USD"),
        ("2026-10-01", "Payments", "Anthropic", "inference_standard", D("3.00"), "import", "USD"),
        ("2026-11-01", "Search", "Anthropic", "inference_heavy", D("50.00"), "import", "USD"),
        ("2026-11-01", "Search", "Anthropic", "inference_standard", D("4.00"), "import", "USD"),
        ("2026-11-01", "Payments", "OpenAI", "inference_standard", D("2.50"), "import", "USD"),
        ("2026-11-01", "Infra", "Anthropic", "inference_fast", D("0.40"), "import", "USD"),
    }
    manual.refresh_from_db()
    assert (manual.source, manual.reference, manual.recorded_by) == (
        "import",
        "gateway logs",
        finance,
    )
    assert run.report["replaced_manual_spend"] == 1
    assert run.report["ledger"] == {"created": 5, "updated": 1, "deleted": 0}


def test_a_bad_line_rejects_the_file_and_is_named(world, finance):
    run = run_file("litellm_bad.csv", finance)
    assert run.status == ImportStatus.FAILED
    assert [(e["line"], e["field"], e["message"]) for e in run.errors] == [
        (3, "spend", "not a number"),
        (5, "startTime", "not a date and time"),
        (6, "metadata", "not JSON"),
    ]
    assert GatewayRequest.objects.count() == 0
    assert not Spend.objects.exists()


def test_skip_bad_imports_the_good_lines_and_lists_the_bad(world, finance):
    run = run_file("litellm_bad.csv", finance, skip_bad=True)
    assert run.status == ImportStatus.SUCCEEDED
    assert (run.rows_read, run.created, run.skipped) == (5, 2, 3)
    assert [e["line"] for e in run.errors] == [3, 5, 6]
    assert set(GatewayRequest.objects.values_list("request_id", flat=True)) == {
        "req-001",
        "req-003",
    }


def test_a_ragged_csv_falls_back_to_line_by_line_and_names_the_line(world, finance, tmp_path):
    lines = (DATA / "litellm_spend_logs.csv").read_text().splitlines(True)
    lines[2] = "req-002,only,three\n"
    path = tmp_path / "ragged.csv"
    path.write_text("".join(lines))
    run = import_execute(
        run_id=import_create(kind=ImportKind.GATEWAY_LOGS, actor=finance, path=str(path)).pk
    )
    assert run.status == ImportStatus.FAILED
    assert {(e["line"], e["field"]) for e in run.errors} >= {(3, "startTime"), (3, "model")}


def test_dry_run_counts_but_writes_nothing(world, finance):
    run = run_file("litellm_spend_logs.csv", finance, dry_run=True)
    assert (run.status, run.created) == (ImportStatus.SUCCEEDED, 11)
    assert not GatewayRequest.objects.exists()
    assert not GatewayDaily.objects.exists()
    assert not Spend.objects.exists()


def test_a_mapped_csv_in_cents(world, finance):
    mapping = load_mapping(str(DATA / "portkey_mapping.toml"))
    run = run_file("portkey_logs.csv", finance, options={"format": "csv", "mapping": mapping})
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert daily() == {
        (
            "2026-11-03",
            "Payments",
            PAY,
            "claude-sonnet-4-5",
            "standard",
            1,
            2000,
            1000,
            400,
            D("1.5"),
        ),
        ("2026-11-03", "Infra", "Infra", "claude-haiku-4-5", "fast", 1, 1000, 0, 100, D("0.25")),
        ("2026-11-03", "Payments", PAY, "gpt-5", "standard", 1, 3000, 1500, 300, D("0.75")),
    }


def test_a_mapping_that_lacks_a_required_target_is_refused(world, finance):
    run = run_file(
        "portkey_logs.csv", finance, options={"format": "csv", "mapping": {"request_id": "id"}}
    )
    assert run.status == ImportStatus.FAILED
    assert run.errors[0]["field"] == "mapping"


def test_json_mapping_files_load_too(tmp_path):
    path = tmp_path / "m.json"
    path.write_text('{"request_id": "id", "spend": {"column": "cost", "scale": "0.01"}}')
    assert load_mapping(str(path)) == {
        "request_id": "id",
        "spend": {"column": "cost", "scale": "0.01"},
    }


@pytest.mark.parametrize(
    ("logged", "normal"),
    [
        ("anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("bedrock/us.anthropic.claude-opus-4-1-20250805-v1:0", "claude-opus-4-1"),
        ("openai/gpt-4.1", "gpt-4.1"),
        ("Claude-Haiku-4.5", "claude-haiku-4.5"),
    ],
)
def test_model_names_are_normalised(logged, normal):
    assert _normal(logged) == normal


# --- the command -----------------------------------------------------------------------------


def test_command_imports_and_summarises(world, finance, capsys):
    call_command(
        "import_gateway_logs", str(DATA / "litellm_spend_logs.csv"), "--as-user", "finance"
    )
    out = capsys.readouterr().out
    assert "created 11" in out
    assert f"unknown models: {CODESTRAL} (2)" in out
    assert "replaced manual spend: 0" in out
    assert GatewayDaily.objects.count() == len(EXPECTED_DAILY)


def test_command_all_or_nothing_then_skip_bad(world, finance, capsys):
    with pytest.raises(CommandError, match="nothing written"):
        call_command("import_gateway_logs", str(DATA / "litellm_bad.csv"), "--as-user", "finance")
    assert "line 3: spend: not a number" in capsys.readouterr().out
    call_command(
        "import_gateway_logs",
        str(DATA / "litellm_bad.csv"),
        "--as-user",
        "finance",
        "--skip-bad",
    )
    out = capsys.readouterr().out
    assert "skipped lines (3)" in out
    assert "line 6: metadata: not JSON" in out
    assert GatewayRequest.objects.count() == 2


def test_command_reads_a_toml_mapping(world, platform):
    call_command(
        "import_gateway_logs",
        str(DATA / "portkey_logs.csv"),
        "--format",
        "csv",
        "--mapping",
        str(DATA / "portkey_mapping.toml"),
        "--as-user",
        "platform",
    )
    assert GatewayRequest.objects.count() == 3


def test_command_csv_format_needs_a_mapping(world, finance):
    with pytest.raises(CommandError, match="--mapping"):
        call_command(
            "import_gateway_logs",
            str(DATA / "portkey_logs.csv"),
            "--format",
            "csv",
            "--as-user",
            "finance",
        )


# --- the summary API -------------------------------------------------------------------------


@pytest.fixture
def imported(world, finance):
    run = run_file("litellm_spend_logs.csv", finance)
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    return world


def rows_of(response) -> dict:
    assert response.status_code == 200, response.content
    return {row["key"]: row for row in response.json()["rows"]}


def test_summary_by_tier_hand_computed(imported, api_as, finance):
    rows = rows_of(api_as(finance).get(URL, {"group_by": "tier"}))
    # fast: req-001, 003, 009, 010 = 1 + 2 + 0.1 + 0.4 = 3.5 of 64.0; cached 900 of 5500.
    assert rows["fast"] == {
        "key": "fast",
        "id": None,
        "currency": "USD",
        "spend": "3.50",
        "requests": 4,
        "cost_per_request": "0.875000",
        "share_of_spend": "0.0547",
        "share_of_requests": "0.3636",
        "cached_token_share": "0.1636",
    }
    assert (rows["standard"]["spend"], rows["standard"]["share_of_spend"]) == ("9.50", "0.1484")
    assert rows["standard"]["cost_per_request"] == "3.166667"
    assert (rows["heavy"]["requests"], rows["heavy"]["share_of_spend"]) == (2, "0.7813")
    assert rows["heavy"]["cached_token_share"] == "0.5000"
    assert (rows["(unknown)"]["spend"], rows["(unknown)"]["share_of_spend"]) == ("1.00", "0.0156")
    # Requests: fast 4, standard 3, heavy 2 and unknown 2 of 11.
    assert {k: r["share_of_requests"] for k, r in rows.items()} == {
        "fast": "0.3636",
        "standard": "0.2727",
        "heavy": "0.1818",
        "(unknown)": "0.1818",
    }


def test_summary_by_team_vendor_model_and_month(imported, api_as, platform):
    client = api_as(platform)
    teams = rows_of(client.get(URL, {"group_by": "team"}))
    assert {k: (r["spend"], r["requests"]) for k, r in teams.items()} == {
        "Payments": ("9.00", 5),
        "Search": ("54.00", 2),
        "Infra": ("0.90", 3),
        "(unknown)": ("0.10", 1),
    }
    assert teams["Payments"]["id"] == imported["payments"].pk
    vendors = rows_of(client.get(URL, {"group_by": "vendor"}))
    assert {k: r["spend"] for k, r in vendors.items()} == {
        "Anthropic": "60.50",
        "OpenAI": "2.50",
        "(unknown)": "1.00",
    }
    models = rows_of(client.get(URL, {"group_by": "model_version"}))
    assert models["claude-haiku:4.5"]["requests"] == 4
    assert models["gpt:5"]["id"] == imported["gpt"].pk
    months = rows_of(client.get(URL, {"group_by": "month", "from": "2026-11-01"}))
    assert {k: (r["spend"], r["requests"]) for k, r in months.items()} == {"2026-11": ("58.00", 8)}
    october = rows_of(
        client.get(URL, {"group_by": "month", "from": "2026-10-01", "to": "2026-10-31"})
    )
    assert october["2026-10"]["share_of_spend"] == "1.0000"
    assert october["2026-10"]["share_of_requests"] == "1.0000"
    # Payments 5, Search 2, Infra 3, unknown 1 of 11.
    assert {k: r["share_of_requests"] for k, r in teams.items()} == {
        "Payments": "0.4545",
        "Search": "0.1818",
        "Infra": "0.2727",
        "(unknown)": "0.0909",
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "colour"}, "group_by"),
        ({}, "group_by"),
        ({"group_by": "team", "from": "2026-13-01"}, "from"),
        ({"group_by": "team", "from": "2026-11-02", "to": "2026-11-01"}, "to"),
    ],
)
def test_summary_refuses_bad_parameters(imported, api_as, auditor, params, field):
    response = api_as(auditor).get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert field in body["details"] and body["message"]


def test_summary_is_readable_by_ai_pm_and_not_by_security(imported, api_as, ai_pm, security):
    assert api_as(ai_pm).get(URL, {"group_by": "tier"}).status_code == 200
    assert api_as(security).get(URL, {"group_by": "tier"}).status_code == 403


def test_both_databases_are_covered():
    """A marker for the report: which path this run exercised."""
    assert connection.vendor in ("sqlite", "postgresql")


def test_a_later_membership_file_moves_person_attributed_spend(world, finance, platform, tmp_path):
    header = (DATA / "litellm_spend_logs.csv").read_text().splitlines()[0]
    row = (
        "req-late-1,acompletion,k,2.5000,1100,1000,100,2026-10-30T09:00:00Z,"
        "2026-10-30T09:00:00Z,2026-10-30T09:00:00Z,claude-opus-4.1,,opus,anthropic,,erin,"
        '"{}",False,,"[]",,,,success'
    )
    logs = tmp_path / "late.csv"
    logs.write_text(f"{header}\n{row}\n")
    run = import_execute(
        run_id=import_create(kind=ImportKind.GATEWAY_LOGS, actor=finance, path=str(logs)).pk
    )
    assert run.report["unknown_teams"] == {"user:erin": 1}
    assert not Spend.objects.filter(team=world["search"]).exists()

    members = tmp_path / "members.csv"
    members.write_text("login,team,from,to\nerin,Search,2026-10-01,\n")
    # Membership files are for AI PMs and platform, not finance.
    moved = import_execute(
        run_id=import_create(kind=ImportKind.TEAM_MEMBERS, actor=platform, path=str(members)).pk
    )
    assert moved.status == "succeeded", moved.errors
    rolled = GatewayDaily.objects.get(model="claude-opus-4.1")
    assert (rolled.team, rolled.team_key, rolled.spend) == (
        world["search"],
        "Search",
        Decimal("2.5"),
    )
    ledger = Spend.objects.get(team=world["search"])
    assert (ledger.category, ledger.amount) == ("inference_heavy", Decimal("2.50"))


# --- corrections: re-attribution, re-resolution, team keys -----------------------------------


def run_path(path, actor, kind=ImportKind.GATEWAY_LOGS) -> ImportRun:
    run = import_execute(run_id=import_create(kind=kind, actor=actor, path=str(path)).pk)
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    return run


def write_logs(tmp_path, name: str, rows: list[dict]) -> Path:
    """A LiteLLM CSV with the recorded files' header and these requests."""
    header = (DATA / "litellm_spend_logs.csv").read_text().splitlines()[0].split(",")
    path = tmp_path / name
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def logged(request_id: str, day: str, model: str, spend: str, *, user="", team="") -> dict:
    return {
        "request_id": request_id,
        "startTime": f"{day}T09:00:00Z",
        "model": model,
        "spend": spend,
        "prompt_tokens": "100",
        "completion_tokens": "10",
        "user": user,
        "team_id": team,
        "metadata": "{}",
        "request_tags": "[]",
    }


def ledger_rows() -> set[tuple]:
    return {
        (str(s.month), s.team.name, s.vendor.name, s.category, s.amount, s.source)
        for s in Spend.objects.select_related("team", "vendor")
    }


def spend_entries(**filters):
    kind = ContentType.objects.get_for_model(Spend)
    return LogEntry.objects.filter(content_type=kind, **filters)


def test_a_corrected_membership_moves_ledger_spend_instead_of_doubling_it(
    world, finance, platform, tmp_path
):
    members = tmp_path / "members.csv"
    members.write_text("login,team,from,to\nerin,Search,2026-10-01,\n")
    run_path(members, platform, ImportKind.TEAM_MEMBERS)
    logs = write_logs(
        tmp_path, "erin.csv", [logged("req-e1", "2026-10-30", "claude-opus-4.1", "10", user="erin")]
    )
    run_path(logs, finance)
    first = Spend.objects.get()
    assert (first.team, first.amount) == (world["search"], D("10.00"))

    # The corrected file: erin left Search on 1 October and joined Payments the next day.
    members.write_text(
        "login,team,from,to\nerin,Search,2026-10-01,2026-10-01\nerin,Payments,2026-10-02,\n"
    )
    moved = run_path(members, platform, ImportKind.TEAM_MEMBERS)
    assert ledger_rows() == {
        ("2026-10-01", "Payments", "Anthropic", "inference_heavy", D("10.00"), "import")
    }
    assert moved.report["ledger"] == {"created": 1, "updated": 0, "deleted": 1}
    deleted = spend_entries(object_pk=str(first.pk), action=LogEntry.Action.DELETE).get()
    assert deleted.actor == platform

    # The same file again changes nothing: no write, no audit entry.
    entries = spend_entries().count()
    again = run_path(members, platform, ImportKind.TEAM_MEMBERS)
    assert again.report["ledger"] == {"created": 0, "updated": 0, "deleted": 0}
    assert spend_entries().count() == entries


def test_a_month_that_falls_to_zero_loses_its_gateway_row_but_keeps_hand_entered_ones(
    world, finance, platform, tmp_path
):
    logs = write_logs(
        tmp_path, "erin.csv", [logged("req-e1", "2026-10-30", "claude-opus-4.1", "10", user="erin")]
    )
    members = tmp_path / "members.csv"
    members.write_text("login,team,from,to\nerin,Search,2026-10-01,\n")
    run_path(members, platform, ImportKind.TEAM_MEMBERS)
    run_path(logs, finance)
    manual = Spend.objects.create(
        month=date(2026, 10, 1),
        amount=D("5.00"),
        scope=SpendScope.TEAM,
        team=world["infra"],
        vendor=world["anthropic"],
        category="inference_heavy",
        source=Source.MANUAL,
    )
    # erin was never in Search after all: her request has no team, Search's month is 0.
    members.write_text("login,team,from,to\nerin,Search,2026-10-01,2026-10-01\n")
    moved = run_path(members, platform, ImportKind.TEAM_MEMBERS)
    assert moved.report["ledger"] == {"created": 0, "updated": 0, "deleted": 1}
    assert list(Spend.objects.all()) == [manual]


def test_reimporting_after_a_new_alias_and_team_resolves_the_stored_requests(world, finance):
    run_file("litellm_spend_logs.csv", finance)
    mistral = VendorFactory(name="Mistral", slug="mistral")
    codestral = ModelVersionFactory(
        vendor=mistral, family="codestral", version="25.08", tier="fast"
    )
    ModelAlias.objects.create(name=CODESTRAL, model_version=codestral)
    TeamFactory(name="Ghosts")

    again = run_file("litellm_spend_logs.csv", finance)
    assert again.status == ImportStatus.SUCCEEDED, again.errors
    assert (again.created, again.report["already_imported"]) == (0, 11)
    # req-007 and req-008 gain a model version, req-009 a team; all on 1 November.
    assert (again.report["re_resolved"], again.report["days_rolled_up"]) == (3, 1)
    assert set(
        GatewayRequest.objects.filter(model=CODESTRAL).values_list("model_version", "tier")
    ) == {(codestral.pk, "fast")}
    assert GatewayRequest.objects.get(request_id="req-009").team.name == "Ghosts"
    assert daily() == (
        EXPECTED_DAILY
        - {
            ("2026-11-01", "Payments", PAY, CODESTRAL, "", 1, 1000, 0, 300, D("0.5")),
            ("2026-11-01", "Infra", "Infra", CODESTRAL, "", 1, 1000, 0, 300, D("0.5")),
            ("2026-11-01", None, "ghosts", "fast-coder", "fast", 1, 1000, 0, 100, D("0.1")),
        }
        | {
            ("2026-11-01", "Payments", PAY, CODESTRAL, "fast", 1, 1000, 0, 300, D("0.5")),
            ("2026-11-01", "Infra", "Infra", CODESTRAL, "fast", 1, 1000, 0, 300, D("0.5")),
            ("2026-11-01", "Ghosts", "Ghosts", "fast-coder", "fast", 1, 1000, 0, 100, D("0.1")),
        }
    )
    assert ledger_rows() >= {
        ("2026-11-01", "Payments", "Mistral", "inference_fast", D("0.50"), "import"),
        ("2026-11-01", "Infra", "Mistral", "inference_fast", D("0.50"), "import"),
        ("2026-11-01", "Ghosts", "Anthropic", "inference_fast", D("0.10"), "import"),
    }
    assert again.report["ledger"] == {"created": 3, "updated": 0, "deleted": 0}
    third = run_file("litellm_spend_logs.csv", finance)
    assert (third.report["re_resolved"], third.report["days_rolled_up"]) == (0, 0)


def test_two_teams_showing_the_same_key_never_merge(world, finance, tmp_path):
    named_x = TeamFactory(name="X")
    keyed_x = TeamFactory(name="Bee", gateway_key="X")
    TeamMember.objects.create(login="erin", team=named_x, valid_from=date(2026, 10, 1))
    logs = write_logs(
        tmp_path,
        "x.csv",
        [
            # The gateway's team "X" is Bee's gateway key; erin's request is team X's.
            logged("req-x1", "2026-10-30", "claude-opus-4.1", "7", team="X"),
            logged("req-x2", "2026-10-30", "claude-opus-4.1", "3", user="erin"),
        ],
    )
    run_path(logs, finance)
    assert {
        (d.team.name, d.team_key, d.requests, d.spend)
        for d in GatewayDaily.objects.select_related("team")
    } == {
        ("Bee", f"X (team {keyed_x.pk})", 1, D("7")),
        ("X", f"X (team {named_x.pk})", 1, D("3")),
    }
    assert ledger_rows() == {
        ("2026-10-01", "Bee", "Anthropic", "inference_heavy", D("7.00"), "import"),
        ("2026-10-01", "X", "Anthropic", "inference_heavy", D("3.00"), "import"),
    }


def test_the_monthly_roll_up_equals_the_daily_ones_after_re_imports_and_re_resolution(
    world, finance, platform, tmp_path
):
    run_file("litellm_spend_logs.csv", finance)
    first = monthly()
    assert first == daily_by_month()
    assert {key[0] for key in first} == {date(2026, 10, 1), date(2026, 11, 1)}

    # A new alias and a new team: the re-import re-resolves November's stored requests.
    codestral = ModelVersionFactory(
        vendor=VendorFactory(name="Mistral", slug="mistral"), family="codestral", tier="fast"
    )
    ModelAlias.objects.create(name=CODESTRAL, model_version=codestral)
    ghosts = TeamFactory(name="Ghosts")
    run_file("litellm_spend_logs.csv", finance)
    again = monthly()
    assert again == daily_by_month()
    assert again != first
    assert {key[4] for key in again if key[3] == CODESTRAL} == {codestral.pk}
    assert ghosts.pk in {key[1] for key in again}

    # A membership file moves a person's request to another team: its month is rolled up again.
    logs = write_logs(
        tmp_path, "erin.csv", [logged("req-e1", "2026-10-30", "claude-opus-4.1", "10", user="erin")]
    )
    run_path(logs, finance)
    members = tmp_path / "members.csv"
    members.write_text("login,team,from,to\nerin,Search,2026-10-01,\n")
    run_path(members, platform, ImportKind.TEAM_MEMBERS)
    moved = monthly()
    assert moved == daily_by_month()
    assert (D("10"), 1) in {
        (totals[4], totals[5]) for key, totals in moved.items() if key[1] == world["search"].pk
    }

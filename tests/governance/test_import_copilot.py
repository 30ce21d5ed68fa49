"""Copilot usage-metrics and seats imports, and the reads finance and pilots take from them.

The files under tests/data/copilot are in the shapes GitHub documents (user-level and
organisation/enterprise-level NDJSON reports; the seats API's answer), nested breakdowns
included; the expected numbers below were added up by hand from them.
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from django.core.management import CommandError, call_command

from governance.importers.base import ImportRejected
from governance.importers.copilot import import_copilot_metrics
from governance.models import CopilotOrgDay, CopilotUserDay, ImportRun, TeamMember
from governance.models.evidence import ImportKind, ImportStatus
from governance.selectors.copilot import copilot_seats, copilot_usage
from governance.services.imports import import_create, import_execute
from tests.factories import TeamFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "copilot"
pytestmark = pytest.mark.django_db


def read(name: str, *, skip_bad: bool = False, **options):
    """Run the importer alone on a recorded file (the service's transaction is not needed)."""
    run = ImportRun.objects.create(
        kind=ImportKind.COPILOT_METRICS, skip_bad=skip_bad, options=options
    )
    seen = []
    with open(DATA / name, "rb") as stream:
        result = import_copilot_metrics(run, stream, progress=seen.append)
    assert seen, "progress is reported"
    return result


def run_file(name: str, actor, **kwargs) -> ImportRun:
    run = import_create(
        kind=ImportKind.COPILOT_METRICS, actor=actor, path=str(DATA / name), **kwargs
    )
    return import_execute(run_id=run.pk)


def user_days() -> dict:
    return {
        (str(r.day), r.login): (
            r.interactions,
            r.code_generations,
            r.code_acceptances,
            r.loc_suggested,
            r.loc_added,
            r.used_chat,
            r.used_agent,
        )
        for r in CopilotUserDay.objects.all()
    }


def org_days() -> dict:
    return {
        (str(r.day), r.scope): (
            r.daily_active_users,
            r.weekly_active_users,
            r.monthly_active_users,
            r.engaged_users,
            r.code_generations,
            r.code_acceptances,
            r.loc_added,
            r.seats_paid,
            r.seats_active,
        )
        for r in CopilotOrgDay.objects.all()
    }


USERS_16_17 = {
    ("2026-11-16", "alice"): (5, 10, 6, 40, 25, True, False),
    ("2026-11-16", "bob"): (0, 4, 0, 12, 0, False, False),
    ("2026-11-16", "carol"): (2, 0, 0, 0, 30, True, True),
    ("2026-11-17", "alice"): (3, 8, 4, 20, 15, True, False),
    ("2026-11-17", "bob"): (1, 6, 3, 18, 9, True, False),
}


# --- user level ---------------------------------------------------------------------------


def test_user_level_report_gives_one_row_per_person_and_day():
    result = read("users-2026-11-16.ndjson")
    assert (result.rows_read, result.created, result.updated, result.skipped) == (5, 5, 0, 0)
    # "Bob" in the report is stored lower-cased.
    assert user_days() == USERS_16_17
    assert result.report["records"] == {"user": 5}
    assert set(CopilotUserDay.objects.values_list("team", flat=True)) == {None}


def test_reimporting_the_same_report_changes_nothing():
    read("users-2026-11-16.ndjson")
    again = read("users-2026-11-16.ndjson")
    assert (again.created, again.updated) == (0, 0)
    assert user_days() == USERS_16_17


def test_an_overlapping_report_updates_the_shared_day_and_never_double_counts():
    first = read("users-2026-11-16.ndjson")
    second = read("users-2026-11-17-overlap.ndjson")
    # alice's 17th was restated, bob's is the same, dave's 18th is new.
    assert (second.created, second.updated) == (1, 1)
    rows = user_days()
    assert len(rows) == 6
    assert rows[("2026-11-17", "alice")] == (4, 9, 5, 22, 17, True, True)
    assert rows[("2026-11-17", "bob")] == USERS_16_17[("2026-11-17", "bob")]
    alice = CopilotUserDay.objects.get(day=date(2026, 11, 17), login="alice")
    bob = CopilotUserDay.objects.get(day=date(2026, 11, 17), login="bob")
    assert alice.import_run_id != bob.import_run_id, "only the changed row names the new run"
    assert first.created == 5


def test_logins_without_a_team_on_the_day_are_reported(platform):
    team = TeamFactory(name="Payments")
    TeamMember.objects.create(login="alice", team=team, valid_from=date(2026, 1, 1))
    TeamMember.objects.create(
        login="bob", team=team, valid_from=date(2026, 1, 1), valid_to=date(2026, 11, 16)
    )
    run = run_file("users-2026-11-16.ndjson", platform)
    # bob left on the 16th, so his 17th is unattributed; carol has no membership at all.
    assert run.report["unknown_copilot_users"] == {"bob": 1, "carol": 1}


def test_a_malformed_line_rejects_the_whole_file_and_every_bad_line_is_named():
    with pytest.raises(ImportRejected) as rejected:
        read("users-malformed.ndjson")
    errors = {(e.line, e.field) for e in rejected.value.errors}
    assert errors == {
        (2, "line"),
        (4, "code_acceptance_activity_count"),
        (5, "day"),
        (6, "record"),
    }
    assert rejected.value.rows_read == 6
    assert CopilotUserDay.objects.count() == 0


def test_skip_bad_writes_the_good_lines_and_lists_the_bad():
    result = read("users-malformed.ndjson", skip_bad=True)
    assert (result.created, result.skipped) == (2, 4)
    assert [e.line for e in result.errors] == [2, 4, 5, 6]
    negative = next(e for e in result.errors if e.line == 4)
    assert negative.message == "negative: -2"
    assert set(user_days()) == {("2026-11-16", "alice"), ("2026-11-16", "carol")}


# --- organisation and enterprise level ----------------------------------------------------


def test_organisation_report_alone_takes_engaged_users_from_daily_active_users():
    result = read("org-1-day.ndjson")
    assert (result.rows_read, result.created) == (2, 2)
    assert org_days() == {
        ("2026-11-16", "4242"): (3, 3, 5, 3, 14, 6, 55, None, None),
        ("2026-11-17", "4242"): (2, 3, 5, 2, 14, 7, 24, None, None),
    }


def test_engaged_users_come_from_the_user_rows_whichever_file_came_first():
    read("users-2026-11-16.ndjson")
    read("org-1-day.ndjson")
    # 16th: alice accepted, carol asked, bob only saw suggestions -> 2; 17th: alice, bob -> 2.
    engaged = {key: row[3] for key, row in org_days().items()}
    assert engaged == {("2026-11-16", "4242"): 2, ("2026-11-17", "4242"): 2}

    CopilotUserDay.objects.all().delete()
    CopilotOrgDay.objects.all().delete()
    read("org-1-day.ndjson")
    later = read("users-2026-11-16.ndjson")
    assert later.updated == 1, "the 16th's engaged users fell from 3 to 2"
    assert {key: row[3] for key, row in org_days().items()} == engaged
    assert (read("org-1-day.ndjson").updated, read("users-2026-11-16.ndjson").updated) == (0, 0)


def test_enterprise_28_day_report_is_read_from_its_day_totals():
    result = read("enterprise-28-day.ndjson")
    assert (result.rows_read, result.created) == (1, 2)
    assert set(org_days()) == {("2026-11-16", "9001"), ("2026-11-17", "9001")}
    assert read("enterprise-28-day.ndjson").updated == 0


def test_the_scope_option_names_the_records():
    read("org-1-day.ndjson", scope="acme")
    assert set(CopilotOrgDay.objects.values_list("scope", flat=True)) == {"acme"}


# --- seats --------------------------------------------------------------------------------


def test_the_seats_api_answer_gives_seats_paid_and_active(today):
    result = read("billing.json")
    assert (result.rows_read, result.created) == (1, 1)
    row = CopilotOrgDay.objects.get()
    assert (row.day, row.scope, row.seats_paid, row.seats_active) == (today, "org", 12, 5)
    assert (row.daily_active_users, row.engaged_users) == (0, 0)


def test_seats_land_on_the_day_and_scope_asked_and_keep_the_usage():
    read("org-1-day.ndjson", scope="acme")
    result = read("billing.json", scope="acme", day="2026-11-17")
    assert (result.created, result.updated) == (0, 1)
    row = CopilotOrgDay.objects.get(day=date(2026, 11, 17), scope="acme")
    assert (row.daily_active_users, row.seats_paid, row.seats_active) == (2, 12, 5)
    # Re-importing the usage report leaves the seats alone.
    again = read("org-1-day.ndjson", scope="acme")
    assert again.updated == 0
    row.refresh_from_db()
    assert row.seats_paid == 12


def test_a_bad_day_option_is_a_line_error():
    with pytest.raises(ImportRejected) as rejected:
        read("billing.json", day="2026-02-30")
    assert [(e.line, e.field) for e in rejected.value.errors] == [(1, "day")]


# --- reads --------------------------------------------------------------------------------


def test_usage_per_day_for_everyone_and_for_a_team():
    read("users-2026-11-16.ndjson")
    read("users-2026-11-17-overlap.ndjson")
    read("org-1-day.ndjson")
    team = TeamFactory(name="Payments")
    CopilotUserDay.objects.filter(login="alice").update(team=team)

    everyone = copilot_usage(date_from=date(2026, 11, 16), date_to=date(2026, 11, 18))
    assert [
        (
            str(d["day"]),
            d["active_users"],
            d["engaged_users"],
            d["acceptance_rate"],
            d["loc_added"],
            d["source"],
        )
        for d in everyone
    ] == [
        # 6 of 14 generations accepted; 25 + 0 + 30 lines.
        ("2026-11-16", 3, 2, Decimal("42.86"), 55, "users"),
        # alice 5 of 9 (restated) and bob 3 of 6: 8 of 15.
        ("2026-11-17", 2, 2, Decimal("53.33"), 26, "users"),
        ("2026-11-18", 1, 1, Decimal("33.33"), 4, "users"),
    ]
    payments = copilot_usage(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30), team=team)
    assert [(str(d["day"]), d["active_users"], d["acceptance_rate"]) for d in payments] == [
        ("2026-11-16", 1, Decimal("60.00")),
        ("2026-11-17", 1, Decimal("55.56")),
    ]


def test_usage_falls_back_to_organisation_totals_without_user_rows():
    read("org-1-day.ndjson")
    read("billing.json", day="2026-11-18")
    rows = copilot_usage(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    # The seats-only row of the 18th is not a day of usage.
    assert [
        (str(d["day"]), d["active_users"], d["engaged_users"], d["acceptance_rate"], d["source"])
        for d in rows
    ] == [
        ("2026-11-16", 3, 3, Decimal("42.86"), "organisation"),
        ("2026-11-17", 2, 2, Decimal("50.00"), "organisation"),
    ]


def test_seats_for_finance_take_the_latest_seats_file_per_scope(today):
    read("users-2026-11-16.ndjson")
    read("users-2026-11-17-overlap.ndjson")
    read("billing.json", day="2026-10-01")
    CopilotOrgDay.objects.filter(day=date(2026, 10, 1)).update(seats_paid=20, seats_active=9)
    read("billing.json", day="2026-11-20")

    seats = copilot_seats()
    assert seats["as_of"] == date(2026, 11, 20)
    assert (seats["seats_paid"], seats["seats_active"], seats["seats_inactive"]) == (12, 5, 7)
    # alice, bob, carol and dave used Copilot in the 28 days to the 25th.
    assert (seats["active_users"], seats["active_users_source"]) == (4, "users")
    assert seats["seat_utilisation"] == Decimal("41.67")
    assert seats["usage_per_seat"] == Decimal("33.33")

    earlier = copilot_seats(on=date(2026, 10, 31))
    assert (earlier["seats_paid"], earlier["seats_active"], earlier["active_users"]) == (
        20,
        9,
        None,
    )


def test_seats_fall_back_to_monthly_active_users_from_the_organisation_report(today):
    read("org-1-day.ndjson")
    read("billing.json")
    seats = copilot_seats()
    assert (seats["active_users"], seats["active_users_source"]) == (5, "organisation")


def test_reads_are_set_based(django_assert_max_num_queries):
    read("users-2026-11-16.ndjson")
    read("org-1-day.ndjson")
    read("billing.json", day="2026-11-17")
    with django_assert_max_num_queries(2):
        copilot_usage(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    with django_assert_max_num_queries(3):
        copilot_seats(on=date(2026, 11, 25))


def test_the_importer_does_not_query_per_row(django_assert_max_num_queries):
    # Reading existing rows, writing new ones, counting engaged users, memberships.
    with django_assert_max_num_queries(8):
        read("users-2026-11-16.ndjson")
    with django_assert_max_num_queries(8):
        read("users-2026-11-17-overlap.ndjson")


# --- through the import service and the command -------------------------------------------


def test_the_import_service_runs_it_and_attributes_teams(platform):
    team = TeamFactory(name="Payments")
    TeamMember.objects.create(login="alice", team=team, valid_from=date(2026, 1, 1))
    run = run_file("users-2026-11-16.ndjson", platform)
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert (run.rows_read, run.created, run.updated) == (5, 5, 0)
    assert run.report["unknown_copilot_users"] == {"bob": 2, "carol": 1}
    assert set(CopilotUserDay.objects.filter(team=team).values_list("login", flat=True)) == {
        "alice"
    }
    again = run_file("users-2026-11-16.ndjson", platform)
    assert (again.created, again.updated) == (0, 0)


def test_the_import_service_rejects_a_malformed_file_and_skip_bad_keeps_the_good(platform):
    run = run_file("users-malformed.ndjson", platform)
    assert run.status == ImportStatus.FAILED
    assert [e["line"] for e in run.errors] == [2, 4, 5, 6]
    assert CopilotUserDay.objects.count() == 0
    run = run_file("users-malformed.ndjson", platform, skip_bad=True)
    assert (run.status, run.created, run.skipped) == (ImportStatus.SUCCEEDED, 2, 4)


def test_a_dry_run_counts_but_writes_nothing(finance):
    run = run_file("billing.json", finance, dry_run=True, options={"scope": "acme"})
    assert (run.status, run.created) == (ImportStatus.SUCCEEDED, 1)
    assert CopilotOrgDay.objects.count() == 0


def test_the_command_imports_seats_and_fails_loudly(finance, today, capsys):
    call_command(
        "import_copilot_metrics",
        str(DATA / "billing.json"),
        "--scope",
        "acme",
        "--day",
        "2026-11-20",
        as_user=finance.username,
    )
    row = CopilotOrgDay.objects.get()
    assert (row.day, row.scope, row.seats_paid, row.seats_active) == (
        date(2026, 11, 20),
        "acme",
        12,
        5,
    )
    assert "rows read 1, created 1" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Import failed: 4 error"):
        call_command(
            "import_copilot_metrics", str(DATA / "users-malformed.ndjson"), as_user="finance"
        )
    assert "line 2: line: not valid JSON" in capsys.readouterr().out
    assert CopilotUserDay.objects.count() == 0


def test_the_command_skips_bad_lines_when_asked(platform, capsys):
    call_command(
        "import_copilot_metrics",
        str(DATA / "users-malformed.ndjson"),
        "--skip-bad",
        as_user=platform.username,
    )
    out = capsys.readouterr().out
    assert "created 2" in out and "skipped lines (4)" in out
    assert CopilotUserDay.objects.count() == 2


def test_the_command_refuses_a_malformed_day(finance):
    with pytest.raises(CommandError, match="not a date"):
        call_command(
            "import_copilot_metrics",
            str(DATA / "billing.json"),
            "--day",
            "20-11-2026",
            as_user=finance.username,
        )
    assert ImportRun.objects.count() == 0


def test_a_pretty_printed_json_array_reads_like_the_ndjson(tmp_path):
    # The documented example schema is a JSON array, as `gh api` prints it.
    record = orjson.loads((DATA / "enterprise-28-day.ndjson").read_bytes())
    path = tmp_path / "enterprise.json"
    path.write_bytes(orjson.dumps([record], option=orjson.OPT_INDENT_2))
    run = ImportRun.objects.create(kind=ImportKind.COPILOT_METRICS)
    with open(path, "rb") as stream:
        result = import_copilot_metrics(run, stream)
    assert (result.rows_read, result.created) == (1, 2)
    assert set(org_days()) == {("2026-11-16", "9001"), ("2026-11-17", "9001")}


def test_finance_reads_seats_and_usage_by_api(today, finance, api_as):
    read("users-2026-11-16.ndjson")
    read("users-2026-11-17-overlap.ndjson")
    read("billing.json", day="2026-11-20")
    client = api_as(finance)
    seats = client.get("/api/v1/copilot/seats/").json()
    assert (seats["seats_paid"], seats["seats_active"], seats["active_users"]) == (12, 5, 4)
    assert seats["seat_utilisation"] == "41.67"
    usage = client.get("/api/v1/copilot/usage/", {"from": "2026-11-16", "to": "2026-11-17"})
    assert [row["day"] for row in usage.json()] == ["2026-11-16", "2026-11-17"]
    assert client.get("/api/v1/copilot/usage/", {"team": "nobody"}).status_code == 400
    assert (
        client.get("/api/v1/copilot/usage/", {"from": "2026-12-01", "to": "2026-11-01"}).status_code
        == 400
    )
    assert client.get("/api/v1/copilot/seats/", {"on": "soon"}).status_code == 400


@pytest.mark.parametrize("role", ["security", "legal"])
def test_copilot_figures_are_forbidden_without_the_evidence_role(role, persona, api_as):
    client = api_as(persona(role))
    assert client.get("/api/v1/copilot/seats/").status_code == 403
    assert client.get("/api/v1/copilot/usage/").status_code == 403

"""Team membership from a CSV with the columns login, team, from, to."""

from typing import IO

from django.db.models import Q

from governance.importers.base import (
    Errors,
    ImportResult,
    Progress,
    as_date,
    csv_rows,
    no_progress,
)
from governance.models import ImportRun, Team, TeamMember
from vendors.kit.audit import audit_bulk_create

COLUMNS = ("login", "team", "from")


def import_team_members(
    run: ImportRun, stream: IO[bytes], *, progress: Progress = no_progress
) -> ImportResult:
    """Record who belonged to which team when; a repeated row changes nothing.

    A team is named by its name or its GitHub team slug. A row with the same login, team and
    start updates the end date; `to` empty means still a member.
    """
    teams = {}
    for team in Team.objects.all():
        teams[team.name.casefold()] = team
        if team.github_slug:
            teams.setdefault(team.github_slug.casefold(), team)
    errors = Errors(run.skip_bad)
    result = ImportResult()
    rows: dict[tuple, tuple[int, dict]] = {}
    for line, row in csv_rows(stream, COLUMNS):
        result.rows_read += 1
        login = row["login"].strip().lstrip("@").casefold()
        team = teams.get(row["team"].casefold())
        if not login:
            errors.add(line, "login", "required")
        if team is None:
            errors.add(line, "team", f"no team named {row['team']!r}")
        try:
            valid_from = as_date(row["from"])
        except ValueError as error:
            errors.add(line, "from", str(error))
            continue
        try:
            valid_to = as_date(row["to"]) if row.get("to") else None
        except ValueError as error:
            errors.add(line, "to", str(error))
            continue
        if valid_to and valid_to < valid_from:
            errors.add(line, "to", "ends before it starts")
        if line in errors:
            continue
        rows[(login, team.pk, valid_from)] = (line, {"valid_to": valid_to, "team": team})
        if result.rows_read % 1000 == 0:
            progress(stream.tell())
    errors.check(result.rows_read)
    result.errors, result.skipped = errors.items, len(errors.lines)

    existing = {
        (m.login, m.team_id, m.valid_from): m
        for m in TeamMember.objects.filter(
            Q(login__in={key[0] for key in rows}) if rows else Q(pk__in=[])
        )
    }
    created, changed = [], []
    for key, (_line, values) in rows.items():
        member = existing.get(key)
        if member is None:
            created.append(
                TeamMember(
                    login=key[0],
                    team=values["team"],
                    valid_from=key[2],
                    valid_to=values["valid_to"],
                    import_run=run,
                )
            )
        elif member.valid_to != values["valid_to"]:
            changes = {"valid_to": [str(member.valid_to), str(values["valid_to"])]}
            member.valid_to = values["valid_to"]
            changed.append((member, changes))
    TeamMember.objects.bulk_create(created, batch_size=1000)
    TeamMember.objects.bulk_update([m for m, _ in changed], ["valid_to"], batch_size=1000)
    audit_bulk_create(
        [(m, 0, {"login": [None, m.login], "team": [None, str(m.team)]}) for m in created]
        + [(m, 1, changes) for m, changes in changed],
        actor=run.requested_by,
    )
    result.created, result.updated = len(created), len(changed)
    return result

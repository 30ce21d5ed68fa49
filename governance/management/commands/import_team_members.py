"""import_team_members: who belonged to which team when, from a CSV."""

from governance.management.commands._evidence import EvidenceImportCommand
from governance.models.evidence import ImportKind


class Command(EvidenceImportCommand):
    """All or nothing (or --skip-bad); re-importing the same file changes nothing."""

    help = (
        "Import team membership from a CSV with the columns login,team,from,to (to empty: "
        "still a member). A team is named by its name or its GitHub team slug."
    )
    kind = ImportKind.TEAM_MEMBERS

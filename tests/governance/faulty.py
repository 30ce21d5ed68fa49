"""An importer that writes, then fails like a bug would: the run must roll it all back."""

from governance.importers.members import import_team_members


def import_then_fail(run, stream, *, progress):
    """Import the members, then raise."""
    import_team_members(run, stream, progress=progress)
    raise RuntimeError("a fault in an importer")

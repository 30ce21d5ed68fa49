"""backup DEST: the database and every stored file into a new directory, with a manifest."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from governance.services.backup import BackupError, backup_create


class Command(BaseCommand):
    """Write DEST/manifest.json, the database dump and DEST/files/ (see services/backup.py)."""

    help = (
        "Back up the database (pg_dump custom format on PostgreSQL, an SQLite backup-API copy "
        "on SQLite) and every file of the default storage (disk or S3) into DEST, a new or "
        "empty directory, with a manifest of sizes and SHA-256 digests."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("dest", help="A new (or empty) directory to write the backup into.")

    def handle(self, *args, dest: str, **options) -> None:
        try:
            manifest = backup_create(dest=Path(dest))
        except BackupError as error:
            raise CommandError(error.message) from error
        size = sum(f["size"] for f in manifest["files"])
        self.stdout.write(
            f"Backed up the {manifest['database']['engine']} database "
            f"({manifest['database']['size']} bytes, {len(manifest['migrations'])} migrations) "
            f"and {len(manifest['files'])} files ({size} bytes) to {dest}."
        )

"""restore SRC: a backup into an empty database and storage, after checking every digest."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from governance.services.backup import BackupError, backup_restore


class Command(BaseCommand):
    """Check SRC's manifest, then restore the database dump and every file into storage."""

    help = (
        "Restore a backup made by `backup`: every digest in its manifest is checked first; the "
        "target database and the default storage must be empty unless --force."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("src", help="A directory written by `manage.py backup`.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Restore over a database and storage that are not empty (replaces what the "
            "backup holds; leaves anything else).",
        )

    def handle(self, *args, src: str, force: bool, **options) -> None:
        try:
            manifest = backup_restore(src=Path(src), force=force)
        except BackupError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Restored the {manifest['database']['engine']} database and "
            f"{len(manifest['files'])} files from {src} (made {manifest['created_at']}). "
            "Run `verify_packets --all` and `verify_evidence --all` next."
        )

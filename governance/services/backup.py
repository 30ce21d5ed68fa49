"""Backup and restore: the database and every stored file, with a manifest of their digests.

A backup is a directory:

    manifest.json     what is in it: each file's name, size and SHA-256, the database dump's
                      engine, size and SHA-256, the applied migrations, when it was made
    database.dump     PostgreSQL: `pg_dump --format=custom` (restored by pg_restore)
    database.sqlite3  SQLite: a copy made with SQLite's online backup API (a consistent
                      snapshot with schema and migration state; dumpdata/loaddata would clash
                      with the groups and permissions every migrate re-creates)
    files/<name>      every object of the default storage (evidence, packets, import uploads),
                      read through the storage API, so the same command copies from S3 or disk

Restore checks every digest before it writes anything, and writes only into an empty database
and an empty storage unless forced.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import django
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from vendors.kit.errors import DomainError

MANIFEST = "manifest.json"
FILES_DIR = "files"
FORMAT = 1
CHUNK = 1 << 20
DUMPS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


class BackupError(DomainError):
    """A backup cannot be written or restored as asked; nothing further was changed."""


# --- shared helpers -------------------------------------------------------------------------


def _copy_hashing(source: IO[bytes], target: IO[bytes]) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: source.read(CHUNK), b""):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return path.stat().st_size, digest.hexdigest()


def stored_names(storage: Storage, directory: str = "") -> Iterator[str]:
    """Every file name in a storage, depth first, through listdir (disk and S3 alike)."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:  # a local MEDIA_ROOT nobody has written to yet
        return
    prefix = f"{directory}/" if directory else ""
    for name in sorted(files):
        yield f"{prefix}{name}"
    for sub in sorted(directories):
        yield from stored_names(storage, f"{prefix}{sub}")


def _engine(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in DUMPS:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


def _pg_args(alias: str) -> tuple[list[str], dict]:
    """Connection arguments and environment for pg_dump / pg_restore, from Django's settings."""
    conf = connections[alias].settings_dict
    args = ["--dbname", conf["NAME"]]
    if conf.get("HOST"):
        args += ["--host", conf["HOST"]]
    if conf.get("PORT"):
        args += ["--port", str(conf["PORT"])]
    if conf.get("USER"):
        args += ["--username", conf["USER"]]
    env = {**os.environ}
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = conf["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict) -> None:
    binary = shutil.which(command[0])
    if binary is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client).")
    # A fixed program and arguments from settings: no shell, nothing from a request.
    done = subprocess.run(  # noqa: S603
        [binary, *command[1:]], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def _applied_migrations(alias: str) -> list[str]:
    recorder = MigrationRecorder(connections[alias])
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


# --- backup ---------------------------------------------------------------------------------


def _dump_database(alias: str, target: Path) -> None:
    if _engine(alias) == "postgresql":
        args, env = _pg_args(alias)
        options = ["--format=custom", "--no-owner", "--no-privileges", "--file", str(target)]
        _run(["pg_dump", *options, *args], env)
        return
    connection = connections[alias]
    connection.ensure_connection()
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
    copy.close()


def backup_create(
    *, dest: Path, storage: Storage | None = None, database: str = DEFAULT_DB_ALIAS
) -> dict:
    """Write the database dump, every stored file and the manifest into a new directory."""
    storage = storage or default_storage
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty; a backup goes into a new directory.")
    (dest / FILES_DIR).mkdir(parents=True, exist_ok=True)
    engine = _engine(database)
    # Files first, then the database: every file a restored row names was written before the
    # dump, so a packet rendered meanwhile is at worst an extra file, never a missing one.
    files = []
    for name in stored_names(storage):
        target = dest / FILES_DIR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as source, target.open("wb") as copy:
            size, sha = _copy_hashing(source, copy)
        files.append({"name": name, "size": size, "sha256": sha})
    dump = dest / DUMPS[engine]
    _dump_database(database, dump)
    size, sha = _file_digest(dump)
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "django": django.get_version(),
        "database": {"engine": engine, "file": dump.name, "size": size, "sha256": sha},
        "migrations": _applied_migrations(database),
        "storage": storage.__class__.__name__,
        "files": files,
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


# --- restore --------------------------------------------------------------------------------


def backup_check(*, src: Path) -> dict:
    """Read a backup's manifest and check the dump's and every file's size and SHA-256."""
    src = Path(src)
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{src} has no readable {MANIFEST}: {error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    entries = [("database", manifest["database"]["file"], manifest["database"])]
    entries += [("file", f"{FILES_DIR}/{f['name']}", f) for f in manifest["files"]]
    problems = []
    for what, relative, expected in entries:
        path = src / relative
        # Names come from the manifest: none may point outside the backup directory.
        if not path.resolve().is_relative_to(src.resolve()):
            raise BackupError(f"The manifest names {relative!r}, outside the backup.")
        if not path.is_file():
            problems.append(f"{what} {relative} is missing")
            continue
        size, sha = _file_digest(path)
        if (size, sha) != (expected["size"], expected["sha256"]):
            problems.append(f"{what} {relative} does not match its digest in the manifest")
    if problems:
        raise BackupError("The backup is damaged: " + "; ".join(problems) + ".")
    return manifest


def restore_target_problems(*, storage: Storage, database: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Why the database or the storage is not empty (an empty list: restore may write)."""
    problems = []
    tables = connections[database].introspection.table_names()
    if tables:
        problems.append(f"the database has {len(tables)} tables")
    first = next(stored_names(storage), None)
    if first is not None:
        problems.append(f"the storage holds files (e.g. {first})")
    return problems


def _restore_database(alias: str, dump: Path, *, force: bool) -> None:
    connection = connections[alias]
    if _engine(alias) == "postgresql":
        connection.close()  # pg_restore works on its own connection
        args, env = _pg_args(alias)
        clean = ["--clean", "--if-exists"] if force else []
        options = ["--no-owner", "--no-privileges", "--exit-on-error", *clean]
        _run(["pg_restore", *options, *args, str(dump)], env)
        return
    connection.ensure_connection()
    # SQLite's backup API replaces every page of the target: schema, rows and migration state.
    with sqlite3.connect(dump) as source:
        source.backup(connection.connection)
    source.close()


def backup_restore(
    *,
    src: Path,
    force: bool = False,
    storage: Storage | None = None,
    database: str = DEFAULT_DB_ALIAS,
) -> dict:
    """Restore a checked backup into an empty database and storage (or over them, forced)."""
    storage = storage or default_storage
    src = Path(src)
    manifest = backup_check(src=src)
    engine = _engine(database)
    if manifest["database"]["engine"] != engine:
        raise BackupError(
            f"This backup holds a {manifest['database']['engine']} database; the target is "
            f"{engine}."
        )
    problems = restore_target_problems(storage=storage, database=database)
    if problems and not force:
        raise BackupError(
            "The target is not empty (" + "; ".join(problems) + "); restore refuses to "
            "overwrite it without --force."
        )
    _restore_database(database, src / manifest["database"]["file"], force=force)
    for entry in manifest["files"]:
        name = entry["name"]
        if force and storage.exists(name):
            storage.delete(name)
        with (src / FILES_DIR / name).open("rb") as handle:
            saved = storage.save(name, File(handle, name=name))
        if saved != name:  # the row names this file: a renamed copy would be "missing"
            raise BackupError(f"The storage stored {name} as {saved}; is it empty?")
    return manifest

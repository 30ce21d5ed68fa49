"""Stored files checked against the SHA-256 recorded for them, through the storage API only.

Evidence (vendors) and packets (governance) both keep a file's hash beside its row; one check
tells a file that is there but different ("changed") from one that is not there ("missing"),
on local disk and on S3 alike. A storage that cannot be reached raises: an outage is neither.
"""

import hashlib
from dataclasses import dataclass

from django.core.files.storage import Storage
from django.db import models

CHUNK = 1 << 20


class FileState(models.TextChoices):
    """What a stored file is, compared with the hash recorded when it was written."""

    VERIFIED = "verified", "verified"
    CHANGED = "changed", "changed"
    MISSING = "missing", "missing"


@dataclass(frozen=True)
class FileCheck:
    """A stored file's state and the SHA-256 it has now ("" when it is missing)."""

    state: FileState
    sha256: str

    @property
    def verified(self) -> bool:
        """Whether the file is there with the recorded content."""
        return self.state == FileState.VERIFIED


def stored_sha256(storage: Storage, name: str) -> str | None:
    """SHA-256 of a stored file, read in chunks through its storage; None when it is absent."""
    if not name:
        return None
    digest = hashlib.sha256()
    try:
        with storage.open(name, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def stored_file_check(*, storage: Storage, name: str, sha256: str) -> FileCheck:
    """Compare a stored file with the SHA-256 recorded for it: verified, changed or missing."""
    actual = stored_sha256(storage, name)
    if actual is None:
        return FileCheck(FileState.MISSING, "")
    return FileCheck(FileState.VERIFIED if actual == sha256 else FileState.CHANGED, actual)

"""Canonical JSON and its SHA-256: what a sign-off signs and an approval remembers."""

import hashlib
import json
from typing import Any


def canonical_json(data: Any) -> bytes:
    """Serialise deterministically: sorted keys, no whitespace, UTF-8, dates as ISO strings."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def digest(data: Any) -> str:
    """SHA-256 hex digest of the canonical JSON of data."""
    return hashlib.sha256(canonical_json(data)).hexdigest()

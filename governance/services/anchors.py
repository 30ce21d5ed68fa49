"""The chain's anchors: a signed checkpoint of the chain's head, exported on every append to
storage (and e-mail) the database cannot rewrite, so a rewritten chain shows against it."""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.mail import send_mail
from django.utils import timezone

from governance.models import Packet
from vendors.kit.canonical import canonical_json

log = logging.getLogger(__name__)

FOLDER = "chain"


@dataclass(frozen=True)
class Anchor:
    """One exported checkpoint: the chain's head link, its hash, when, and whether it is signed
    with our key."""

    sequence: int
    packet: int
    hash: str
    at: str
    genuine: bool
    name: str


def _key() -> bytes:
    # Kept out of the database: whoever owns the database cannot sign a forged anchor.
    key = settings.TOLLGATE_ANCHOR_KEY or f"tollgate-anchor:{settings.SECRET_KEY}"
    return hashlib.sha256(key.encode()).digest()


def _signature(body: dict) -> str:
    return hmac.new(_key(), canonical_json(body), hashlib.sha256).hexdigest()


def anchor_body(packet: Packet) -> dict:
    """What an anchor of a chain head says: its link number, packet, hash and the time."""
    return {
        "sequence": packet.sequence,
        "packet": packet.pk,
        "hash": packet.link_hash,
        "at": timezone.now().isoformat(),
    }


def anchor_export(*, packet: Packet) -> str:
    """Write a signed anchor of the chain head `packet` (and e-mail it when configured); returns
    the stored name. Never raises: a failed export is logged, and the sweep writes it later."""
    body = anchor_body(packet)
    document = {**body, "hmac": _signature(body)}
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    name = ""
    try:
        name = storages["anchors"].save(
            f"{FOLDER}/{packet.sequence:010d}.json", ContentFile(text.encode())
        )
    except Exception:  # the packet is issued either way; the sweep re-exports the head
        log.exception("anchor of chain link %s could not be written", packet.sequence)
    if settings.TOLLGATE_ANCHOR_EMAIL:
        try:
            send_mail(
                subject=f"[Tollgate] chain anchor: link {packet.sequence}",
                message=text,
                from_email=None,
                recipient_list=list(settings.TOLLGATE_ANCHOR_EMAIL),
            )
        except Exception:
            log.exception("anchor of chain link %s could not be e-mailed", packet.sequence)
    return name


def _read(name: str) -> Anchor | None:
    storage = storages["anchors"]
    try:
        with storage.open(name, "rb") as handle:
            document: dict[str, Any] = json.loads(handle.read())
        body = {key: document[key] for key in ("sequence", "packet", "hash", "at")}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    genuine = hmac.compare_digest(str(document.get("hmac", "")), _signature(body))
    return Anchor(**body, genuine=genuine, name=name)


def anchor_latest() -> Anchor | None:
    """The anchor naming the highest link number, or None when none was exported."""
    storage = storages["anchors"]
    try:
        _, files = storage.listdir(FOLDER)
    except (OSError, FileNotFoundError):
        return None
    # A forged or unreadable file counts too: it is reported, not skipped.
    candidates = sorted((n for n in files if n.endswith(".json")), reverse=True)
    for filename in candidates:
        anchor = _read(f"{FOLDER}/{filename}")
        if anchor is not None:
            return anchor
    return None


def anchor_problems(*, tail: Packet | None = None) -> list[str]:
    """How the chain in the database disagrees with its latest anchor (empty when it agrees)."""
    anchor = anchor_latest()
    if anchor is None:
        return []
    if not anchor.genuine:
        return [f"the chain anchor {anchor.name} is not signed with Tollgate's anchor key"]
    if tail is None:
        tail = Packet.objects.filter(status="ready").order_by("-sequence").first()
    if tail is None or tail.sequence < anchor.sequence:
        ends = f"link {tail.sequence}" if tail else "no link"
        return [
            f"the chain is shorter than its anchor: the anchor of {anchor.at} names link "
            f"{anchor.sequence} (packet #{anchor.packet}) but the chain ends at {ends}"
        ]
    link = Packet.objects.filter(status="ready", sequence=anchor.sequence).first()
    if link is None or link.pk != anchor.packet or link.link_hash != anchor.hash:
        return [
            f"link {anchor.sequence} of the chain differs from its anchor of {anchor.at} "
            f"(packet #{anchor.packet}, hash {anchor.hash[:12]}…)"
        ]
    return []

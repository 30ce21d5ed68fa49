"""Who sees what of a packet: its details only to those who may view its subject.

One rule for the API, the pages and the admin: a packet's kind, subject, summary and the
chain's problems describe the subject, so they follow the subject's view permission
(governance/rules.py `sees_packet_subject`). Anyone who may verify packets still learns
whether a file or stored packet is valid.
"""

from typing import Any

from django.db.models import QuerySet

from governance.choices import VerifyOutcome
from governance.selectors.packets import PACKET_KINDS
from governance.services.packets import Verification


def packets_visible(*, user: Any, packets: QuerySet) -> QuerySet:
    """Narrow packets to the kinds whose subjects the user may view."""
    kinds = [k for k, spec in PACKET_KINDS.items() if user.has_perm(spec.view_perm)]
    return packets.filter(kind__in=kinds)


def verification_shown(*, result: Verification, user: Any) -> dict[str, Any]:
    """The verification as this user may see it: in full, or only valid / invalid."""
    packet = result.packet
    # What failed (or that nothing did) says nothing about the subject: everyone sees it.
    outcome = {
        "outcome": result.outcome,
        "passed": result.outcome == VerifyOutcome.GENUINE,
        "outcome_label": VerifyOutcome(result.outcome).label,
        "claimed": result.claimed,
    }
    if packet is None or user.has_perm("governance.view_packet", packet):
        return {
            **outcome,
            "broken_at": result.broken_at,
            "sha256": result.sha256,
            "matches": result.matches,
            "chain_intact": result.chain_intact,
            "problems": result.problems,
            "file_state": result.file_state,
            "message": result.message,
            "certifies": result.certifies,
            "packet": packet.pk if packet else None,
            "sequence": packet.sequence if packet else None,
        }
    valid = result.matches and result.chain_intact
    return {
        **outcome,
        "broken_at": None,
        "sha256": result.sha256,
        "matches": result.matches,
        "chain_intact": result.chain_intact,
        "problems": [],
        "file_state": result.file_state,
        "message": (
            "Valid: this is a packet Tollgate issued and the chain up to it is intact"
            if valid
            else "Invalid: this packet was altered, is missing or its chain is broken"
        )
        + "; its details are shown only to those who may view its subject.",
        "certifies": "",
        "packet": None,
        "sequence": None,
    }

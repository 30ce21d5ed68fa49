"""Portfolio packets: freeze what a portfolio read (its source rows' digests), then render."""

from datetime import date
from typing import Any

from django.db import transaction

from governance.choices import PacketKind
from governance.models import Packet, PortfolioSnapshot
from governance.selectors.portfolio import portfolio_range, portfolio_sources
from governance.services.packets import packet_request
from vendors.kit.audit import audited
from vendors.kit.services import require, save_validated


@audited
@transaction.atomic
def portfolio_packet_request(
    *, date_from: date, date_to: date, currency: str, actor: Any
) -> Packet:
    """Record the portfolio's range and its source rows' counts, dates and SHA-256, and queue
    its PDF packet (the appendix prints them; the packet's page flags a source that changed)."""
    require(actor, "governance.view_portfolio_pilot")
    rng = portfolio_range(date_from=date_from, date_to=date_to, currency=currency)
    snapshot = PortfolioSnapshot(
        date_from=rng.date_from,
        date_to=rng.date_to,
        currency=rng.currency,
        sources=portfolio_sources(rng),
        requested_by=actor,
    )
    save_validated(snapshot)
    return packet_request(kind=PacketKind.PORTFOLIO, subject_id=snapshot.pk, actor=actor)

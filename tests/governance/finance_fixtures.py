"""Finance fixtures: a running pilot with measured savings, a rate card and six months of spend.

The numbers are chosen so the audited ROI can be computed by hand:
10 engineers x 4 PRs a month = 480 PRs a year; cycle time 30.5 h -> 29.0 h saves 1.5 h a PR
(720 h at $100 = $72,000); reviewer minutes 42 -> 39 save 3 min a PR (24 h at $150 = $3,600);
total benefit $75,600. Recurring spend $3,000 a month over 4 months -> $36,000 a year;
one-time integration $5,000. Multiple 2.1, net ROI 1.1, monthly net $3,300, payback 1.52.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from governance.models import Measurement, RateCard
from governance.services import finance as fs
from tests.factories import TeamFactory, advance_pilot

START = date(2027, 1, 4)
AS_OF = date(2027, 4, 30)


@pytest.fixture
def as_of():
    with time_machine.travel(AS_OF, tick=False):
        yield AS_OF


@pytest.fixture
def rates(finance):
    return RateCard.objects.create(
        effective_from=date(2026, 1, 1),
        currency="USD",
        loaded_hourly_rate=Decimal(100),
        senior_hourly_rate=Decimal(150),
        recorded_by=finance,
    )


def measure(pilot, metric, value, *, tier="", start, days=7, sample=50):
    return Measurement.objects.create(
        pilot=pilot,
        metric=metric,
        tier=tier,
        period_start=start,
        period_end=start + timedelta(days=days - 1),
        value=Decimal(value),
        sample_size=sample,
    )


@pytest.fixture
def running_pilot(make_pilot, complete_pilot, security, ai_pm, finance, metrics):
    """A pilot running since START with measured savings (its lifecycle written as rows)."""
    pilot = make_pilot(teams=[TeamFactory(name="Payments", headcount=10)])
    complete_pilot(pilot)
    advance_pilot(
        pilot,
        to="running",
        owner=ai_pm,
        signers={"security": security, "finance": finance},
        approver=finance,
        started_on=START,
    )
    after_grace = date(2027, 3, 8)
    measure(pilot, metrics["cycle-time"], "28.5", tier="standard", start=after_grace)
    measure(pilot, metrics["cycle-time"], "29.5", tier="standard", start=date(2027, 3, 15))
    # Inside the grace period: left out of the audited case.
    measure(pilot, metrics["cycle-time"], "45", tier="standard", start=date(2027, 1, 11))
    measure(pilot, metrics["reviewer-load"], "39", start=after_grace, sample=100)
    measure(pilot, metrics["prs-per-engineer-month"], "4", start=after_grace, sample=10)
    pilot.refresh_from_db()
    return pilot


@pytest.fixture
def ledger(running_pilot, finance):
    vendor = running_pilot.offering.vendor
    for month in range(1, 5):
        for category, amount in (("seats", 2000), ("inference_heavy", 1000)):
            fs.spend_record(
                actor=finance,
                month=date(2027, month, 1),
                amount=Decimal(amount),
                scope="pilot",
                pilot=running_pilot,
                vendor=vendor,
                category=category,
            )
    fs.spend_record(
        actor=finance,
        month=date(2027, 1, 1),
        amount=Decimal(5000),
        scope="pilot",
        pilot=running_pilot,
        vendor=vendor,
        category="integration",
    )
    return running_pilot


@pytest.fixture
def decide(finance, ledger, rates, as_of):
    """Decide on the ledger's pilot for 2027-Q2 (override any field)."""

    def run(**overrides):
        fields = {
            "actor": finance,
            "quarter": "2027-Q2",
            "scope": "pilot",
            "pilot": ledger,
            "decision": "hold",
            "rationale": "Savings hold; keep measuring through Q2.",
        }
        fields.update(overrides)
        return fs.review_decide(**fields)

    return run

"""Signed corrections and the budget ledger: what a quarterly decision commits, and what was
spent against it (docs/budget.md)."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from governance.models import PilotTransition
from governance.selectors import budget
from governance.services import finance as fs
from vendors.kit.errors import DomainError


def _sign(review, finance):
    return fs.review_sign(review=review, actor=finance, role="finance", decision="approve")


@pytest.fixture
def expanded(decide, finance):
    """The hand case: a signed expand (+10 seats, +$48,000 a year) on the ledger's pilot."""
    return _sign(
        decide(
            decision="expand", seat_delta=10, budget_delta=Decimal(48000), rationale="Roll out."
        ),
        finance,
    )


def _correct(review, finance, **fields):
    return fs.review_supersede(
        review=review, actor=finance, reason="Savings were double counted.", **fields
    )


def test_it_corrects_the_outcome_when_a_correction_of_an_expand_to_contract_is_signed(
    expanded, finance
):
    pilot = expanded.pilot
    pilot.refresh_from_db()
    assert (pilot.status, pilot.outcome) == ("closed", "expanded")
    contract = _correct(
        expanded, finance, decision="contract", seat_delta=-4, rationale="Scale back."
    )
    pilot.refresh_from_db()
    assert pilot.outcome == "expanded"  # an unsigned correction changes nothing yet
    contract = _sign(contract, finance)
    pilot.refresh_from_db()
    assert pilot.outcome == "contracted"
    assert contract.effect == "The pilot's outcome was corrected from expanded to contracted."
    history = PilotTransition.objects.filter(pilot=pilot).last()
    assert (history.from_status, history.to_status) == ("closed", "closed")
    assert history.reason.startswith("Outcome corrected from expanded to contracted")


def test_it_keeps_the_original_visible_beside_its_correction(expanded, finance):
    contract = _sign(
        _correct(expanded, finance, decision="contract", seat_delta=-4, rationale="Back."),
        finance,
    )
    expanded.refresh_from_db()
    assert expanded.status == "superseded"
    assert (expanded.decision, expanded.seat_delta) == ("expand", 10)
    assert expanded.effect == "The pilot was closed as expanded."
    ledger = budget.budget_ledger(pilot=contract.pilot, as_of=date(2027, 4, 30))
    shown = {r["review"]: r for r in ledger["reviews"]}
    assert shown[expanded.pk]["counts"] is False
    assert shown[expanded.pk]["decision"] == "expand"
    assert shown[contract.pk]["supersedes"] == expanded.pk


def test_seats_and_budget_follow_the_correction_not_the_original(expanded, finance):
    pilot = expanded.pilot
    assert budget.commitments(pilot=pilot) == {
        "seats": 10,
        "annual_budget": {"USD": "48000.00"},
    }
    _sign(
        _correct(
            expanded,
            finance,
            decision="contract",
            seat_delta=-4,
            budget_delta=Decimal(-12000),
            rationale="Back.",
        ),
        finance,
    )
    assert budget.commitments(pilot=pilot) == {
        "seats": -4,
        "annual_budget": {"USD": "-12000.00"},
    }


def test_an_unsigned_decision_commits_nothing(decide):
    review = decide(decision="expand", seat_delta=3, budget_delta=Decimal(1000), rationale="Go.")
    assert budget.commitments(pilot=review.pilot) == {"seats": 0, "annual_budget": {}}


def test_a_correction_cannot_reopen_a_program_its_kill_closed(ledger, finance, rates, as_of):
    kill = _sign(
        fs.review_decide(
            actor=finance,
            quarter="2027-Q2",
            scope="program",
            offering=ledger.offering,
            decision="kill",
            rationale="Stop the program.",
        ),
        finance,
    )
    with pytest.raises(DomainError, match="cannot reopen them"):
        _correct(kill, finance, decision="expand", seat_delta=5, rationale="Oops.")


def test_the_budget_ledger_sets_budget_against_spend_per_quarter(ledger, finance, rates):
    # Decided for 2027-Q1 (recorded late, on 1 April): in force from 2027-Q2.
    with time_machine.travel(date(2027, 4, 1), tick=False):
        review = fs.review_decide(
            actor=finance,
            quarter="2027-Q1",
            scope="pilot",
            pilot=ledger,
            decision="hold",
            budget_delta=Decimal(40000),
            rationale="Fund the next quarter.",
        )
        _sign(review, finance)
    out = budget.budget_ledger(pilot=ledger, as_of=date(2027, 5, 15))
    q1, q2 = out["quarters"]
    # Q1: no budget in force yet; the ledger has Jan-Mar: 3 x $3,000 + $5,000 one-time.
    assert q1 == {
        "quarter": "2027-Q1",
        "annual_budget": "0.00",
        "budget": "0.00",
        "actual_spend": "14000.00",
        "remaining": "-14000.00",
        "over_budget": True,
        "to_date": False,
        "decided": [
            {
                "review": review.pk,
                "decision": "hold",
                "seat_delta": 0,
                "budget_delta": "40000.00",
            }
        ],
    }
    # Q2: $40,000 a year is $10,000 a quarter; April's $3,000 spent so far.
    assert q2["annual_budget"] == "40000.00"
    assert q2["budget"] == "10000.00"
    assert q2["actual_spend"] == "3000.00"
    assert q2["remaining"] == "7000.00"
    assert (q2["over_budget"], q2["to_date"]) == (False, True)


def test_the_budget_ledger_counts_team_inference_rows_for_the_pilot_vendor(ledger, finance, rates):
    team = ledger.teams.first()
    fs.spend_record(
        actor=finance,
        month=date(2027, 4, 1),
        amount=Decimal(250),
        scope="team",
        team=team,
        vendor=ledger.offering.vendor,
        category="inference_standard",
        source="import",
    )
    with time_machine.travel(date(2027, 4, 30), tick=False):
        _sign(
            fs.review_decide(
                actor=finance,
                quarter="2027-Q2",
                scope="pilot",
                pilot=ledger,
                decision="hold",
                rationale="Keep going.",
            ),
            finance,
        )
    out = budget.budget_ledger(pilot=ledger, as_of=date(2027, 4, 30))
    assert [q["actual_spend"] for q in out["quarters"]] == ["3250.00"]


def test_the_budget_ledger_leaves_other_currencies_out_and_says_so(ledger, finance, rates):
    fs.spend_record(
        actor=finance,
        month=date(2027, 4, 1),
        amount=Decimal(999),
        currency="EUR",
        scope="pilot",
        pilot=ledger,
        vendor=ledger.offering.vendor,
        category="training",
    )
    with time_machine.travel(date(2027, 4, 30), tick=False):
        _sign(
            fs.review_decide(
                actor=finance,
                quarter="2027-Q2",
                scope="pilot",
                pilot=ledger,
                decision="hold",
                rationale="Keep going.",
            ),
            finance,
        )
    out = budget.budget_ledger(pilot=ledger, as_of=date(2027, 4, 30))
    assert out["quarters"][0]["actual_spend"] == "3000.00"
    assert out["notes"] == [
        "1 spend row(s) in another currency left out: Tollgate does not convert."
    ]


def test_the_budget_api_answers_for_a_pilot_and_a_program(api_as, expanded, finance):
    pilot = expanded.pilot
    body = api_as(finance).get(f"/api/v1/budget/?pilot={pilot.pk}").json()
    assert (body["scope"], body["seats"], body["annual_budget"]) == (
        "pilot",
        10,
        {"USD": "48000.00"},
    )
    program = api_as(finance).get(f"/api/v1/budget/?offering={pilot.offering_id}").json()
    assert (program["scope"], program["quarters"]) == ("program", [])
    assert api_as(finance).get("/api/v1/budget/").status_code == 400

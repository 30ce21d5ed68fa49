"""Spend ledger, measured ROI and quarterly reviews (services)."""

import re
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from governance.models import QuarterlyReview, SignOff, Spend
from governance.selectors import finance as money
from governance.selectors.signoffs import review_canonical
from governance.services import finance as fs
from tests.governance.finance_fixtures import AS_OF
from vendors.kit.canonical import digest
from vendors.kit.errors import ConflictError, DomainError


def test_spend_key_corrects_instead_of_doubling(ledger, finance):
    vendor = ledger.offering.vendor
    before = Spend.objects.count()
    row = fs.spend_record(
        actor=finance,
        month=date(2027, 2, 1),
        amount=Decimal("2100.50"),
        scope="pilot",
        pilot=ledger,
        vendor=vendor,
        category="seats",
    )
    assert Spend.objects.count() == before
    assert Spend.objects.get(pk=row.pk).amount == Decimal("2100.50")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"month": date(2027, 2, 3)}, "Give the month as its first day"),
        ({"amount": Decimal("-5")}, "above zero"),
        ({"scope": "team"}, "Pilot spend names a pilot"),
        ({"category": "snacks"}, "Value 'snacks' is not a valid choice."),
    ],
)
def test_spend_is_validated_with_clear_messages(ledger, finance, changes, field):
    fields = {
        "actor": finance,
        "month": date(2027, 5, 1),
        "amount": Decimal(10),
        "scope": "pilot",
        "pilot": ledger,
        "vendor": ledger.offering.vendor,
        "category": "seats",
        **changes,
    }
    with pytest.raises(ValidationError) as error:
        fs.spend_record(**fields)
    assert field in " ".join(error.value.messages)


def test_only_finance_records_spend(running_pilot, ai_pm):
    with pytest.raises(PermissionDenied, match=re.escape("(governance.add_spend)")):
        fs.spend_record(
            actor=ai_pm,
            month=date(2027, 1, 1),
            amount=Decimal(1),
            scope="pilot",
            pilot=running_pilot,
            vendor=running_pilot.offering.vendor,
            category="seats",
        )


def test_spend_import_is_all_or_nothing(running_pilot, finance):
    slug = running_pilot.offering.vendor.slug
    good = {
        "month": "2027-03",
        "amount": "1200",
        "currency": "USD",
        "scope": "pilot",
        "pilot": str(running_pilot.pk),
        "vendor": slug,
        "category": "seats",
    }
    bad = {**good, "month": "March", "category": "inference_fast"}
    with pytest.raises(DomainError) as error:
        fs.spend_import(rows=[good, bad], actor=finance)
    assert "rows[1].month" in error.value.message_dict
    assert Spend.objects.count() == 0
    assert fs.spend_import(rows=[good], actor=finance) == 1
    assert fs.spend_import(rows=[{**good, "amount": "1300"}], actor=finance) == 1
    assert Spend.objects.get().amount == Decimal(1300)


def test_spend_import_names_unknown_targets_and_repeats(running_pilot, finance):
    slug = running_pilot.offering.vendor.slug
    row = {
        "month": "2027-03",
        "amount": "5",
        "scope": "pilot",
        "pilot": "999999",
        "vendor": slug,
        "category": "seats",
    }
    ok = {**row, "pilot": str(running_pilot.pk)}
    with pytest.raises(DomainError) as error:
        fs.spend_import(rows=[row, ok, ok], actor=finance)
    assert set(error.value.message_dict) == {"rows[0].pilot", "rows[2].month"}


def test_audited_roi_is_computed_from_measurements_and_the_ledger(ledger, rates, as_of):
    result = money.scope_roi(pilots=[ledger], as_of=AS_OF)
    inputs = result["audited"]["inputs"]
    assert inputs["engineers"]["value"] == "10"
    assert inputs["prs_per_engineer_month"]["value"] == "4.0000"
    assert inputs["cycle_time_saving_hours"]["value"] == "1.5000"  # the grace-period dip is out
    assert inputs["reviewer_minutes_change_per_pr"]["value"] == "-3.0000"
    assert inputs["annual_ai_spend"]["value"] == "36000.00"
    assert inputs["one_time_costs"]["value"] == "5000.00"
    assert inputs["loaded_hourly_rate"]["source"] == "rate card from 2026-01-01"
    out = result["audited"]["outputs"]
    assert out["annual_pr_volume"] == "480.00"
    assert out["time_savings"] == "72000.00"
    assert out["reviewer_savings"] == "3600.00"
    assert out["total_benefit"] == "75600.00"
    assert out["benefit_multiple"] == "2.1000"
    assert out["net_roi"] == "1.1000"
    assert out["payback_months"] == "1.52"
    assert result["problems"] == []
    assert result["spend"]["to_date"] == "17000.00"


def test_best_case_flags_every_estimate(ledger, rates, as_of):
    result = money.scope_roi(
        pilots=[ledger], as_of=AS_OF, estimates={"other_audited_benefits": Decimal(10000)}
    )
    best = result["best"]
    assert best["estimates"] == ["other_audited_benefits"]
    assert best["inputs"]["other_audited_benefits"]["estimate"] is True
    assert result["audited"]["inputs"]["other_audited_benefits"]["value"] == "0"
    assert best["outputs"]["total_benefit"] == "85600.00"


def test_sensitivity_table_has_five_price_rows_of_three_mix_cells(ledger, rates, as_of):
    table = money.scope_roi(pilots=[ledger], as_of=AS_OF)["sensitivity"]
    assert [row["price_change_pct"] for row in table] == [-50, -25, 0, 50, 100]
    assert all(len(row["cells"]) == 3 for row in table)
    base = table[2]["cells"][1]
    assert base["net_roi"] == "1.1000"
    # +100% token prices doubles the $12,000 of annual heavy-tier inference.
    assert table[4]["cells"][1]["annual_ai_spend"] == "48000.00"


def test_missing_data_is_named_not_guessed(running_pilot, as_of):
    result = money.scope_roi(pilots=[running_pilot], as_of=AS_OF)
    assert result["audited"]["outputs"] is None
    assert any("annual ai spend" in p for p in result["problems"])
    assert any("no USD rate card" in p for p in result["problems"])


def test_spend_in_another_currency_is_left_out_and_said(ledger, rates, as_of, finance):
    fs.spend_record(
        actor=finance,
        month=date(2027, 4, 1),
        amount=Decimal(999),
        currency="EUR",
        scope="pilot",
        pilot=ledger,
        vendor=ledger.offering.vendor,
        category="compliance",
    )
    result = money.scope_roi(pilots=[ledger], as_of=AS_OF)
    assert result["audited"]["inputs"]["annual_ai_spend"]["value"] == "36000.00"
    assert "1 spend row(s) in EUR left out" in result["problems"][0]


# --- quarterly reviews ----------------------------------------------------------------------


def test_decide_freezes_a_snapshot(decide):
    review = decide()
    assert review.status == "decided"
    snap = review.snapshot
    assert snap["roi"]["audited"]["outputs"]["net_roi"] == "1.1000"
    cycle = next(m for m in snap["metrics"] if m["metric"] == "cycle-time")
    assert cycle["baseline"] == "30.5000"
    assert [c["day"] for c in cycle["checkpoints"]] == [30, 90]
    assert cycle["checkpoints"][1]["value"] == "29.0000"
    assert cycle["checkpoints"][1]["delta_pct"] == "-4.92"


def test_only_finance_decides(decide, ai_pm, security):
    for user in (ai_pm, security):
        with pytest.raises(
            PermissionDenied, match=re.escape("(governance.decide_quarterlyreview)")
        ):
            decide(actor=user)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"rationale": "  "}, "rationale", "This field cannot be blank."),
        ({"quarter": "2027Q2"}, "quarter", "YYYY-Qn"),
        ({"decision": "hold", "seat_delta": 5}, "seat_delta", "cannot change seats by +5"),
        ({"decision": "expand", "seat_delta": -5}, "seat_delta", "cannot change seats by -5"),
    ],
)
def test_decide_validates(decide, changes, field, message):
    with pytest.raises(ValidationError) as error:
        decide(**changes)
    assert list(error.value.message_dict) == [field]
    assert message in " ".join(error.value.message_dict[field])


def test_a_second_live_review_for_the_scope_and_quarter_is_a_conflict(decide):
    decide()
    with pytest.raises(ConflictError) as error:
        decide(decision="kill", rationale="Costs too much.")
    assert "already has a live review for 2027-Q2" in error.value.messages[0]
    assert decide(quarter="2027-Q1").quarter == "2027-Q1"  # the quarter just ended, late


def test_finance_signature_signs_a_hold_and_the_pilot_keeps_running(decide, finance):
    review = fs.review_sign(review=decide(), actor=finance, role="finance", decision="approve")
    assert review.status == "signed"
    assert review.signed_at is not None
    review.pilot.refresh_from_db()
    assert review.pilot.status == "running"
    assert "Hold" in QuarterlyReview.objects.get(pk=review.pk).effect


def test_signed_kill_closes_the_pilot_as_killed(decide, finance):
    review = decide(decision="kill", rationale="Net ROI is not worth the risk.")
    fs.review_sign(review=review, actor=finance, role="finance", decision="approve")
    review.pilot.refresh_from_db()
    assert (review.pilot.status, review.pilot.outcome) == ("closed", "killed")
    assert list(review.pilot.history.values_list("to_status", flat=True))[-2:] == [
        "under_review",
        "closed",
    ]


def test_signed_contract_closes_the_pilot_as_contracted(decide, finance):
    review = decide(decision="contract", seat_delta=-4, rationale="Keep the two teams using it.")
    fs.review_sign(review=review, actor=finance, role="finance", decision="approve")
    review.pilot.refresh_from_db()
    assert review.pilot.outcome == "contracted"


def test_expanding_an_agentic_use_needs_security_too(decide, finance, security, ledger):
    type(ledger).objects.filter(pk=ledger.pk).update(agentic=True)
    ledger.refresh_from_db()
    review = decide(pilot=ledger, decision="expand", seat_delta=40, rationale="Roll out.")
    review = fs.review_sign(review=review, actor=finance, role="finance", decision="approve")
    assert review.status == "decided"  # waiting for security
    review = fs.review_sign(review=review, actor=security, role="security", decision="approve")
    assert review.status == "signed"
    ledger.refresh_from_db()
    assert ledger.outcome == "expanded"


def test_expanding_a_completion_use_needs_finance_only(decide, finance, security):
    review = decide(decision="expand", seat_delta=40, rationale="Roll out.")
    with pytest.raises(DomainError) as error:
        fs.review_sign(review=review, actor=security, role="security", decision="approve")
    assert error.value.message_dict == {
        "role": ["A quarterly_review is signed by finance, not security."]
    }


def test_a_signed_review_cannot_change_through_the_service(decide, finance):
    review = fs.review_sign(review=decide(), actor=finance, role="finance", decision="approve")
    with pytest.raises(DomainError, match="cannot change"):
        fs.review_update(review=review, actor=finance, rationale="Quietly different.")
    with pytest.raises(DomainError, match="This review is signed: it cannot change"):
        fs.review_sign(review=review, actor=finance, role="finance", decision="approve")


def test_a_signed_review_cannot_change_through_a_model_save(decide, finance):
    review = fs.review_sign(review=decide(), actor=finance, role="finance", decision="approve")
    review = QuarterlyReview.objects.get(pk=review.pk)
    review.rationale = "Rewritten history."
    with pytest.raises(ValidationError, match="immutable"):
        review.save()
    assert QuarterlyReview.objects.get(pk=review.pk).rationale.startswith("Savings hold")


def test_revising_before_signing_makes_the_signature_stale(decide, finance):
    review = decide()
    fs.review_sign(
        review=review,
        actor=finance,
        role="finance",
        decision="reject",
        comment="Seat count missing.",
    )
    review = fs.review_update(review=review, actor=finance, rationale="Hold at current seats.")
    assert review.status == "decided"
    review = fs.review_sign(review=review, actor=finance, role="finance", decision="approve")
    assert review.status == "signed"


def test_supersede_keeps_both_and_links_them(decide, finance):
    first = fs.review_sign(review=decide(), actor=finance, role="finance", decision="approve")
    second = fs.review_supersede(
        review=first,
        actor=finance,
        reason="Seat counts were from the wrong month.",
        decision="contract",
        seat_delta=-2,
        rationale="Contract to one team.",
    )
    first.refresh_from_db()
    assert first.status == "superseded"
    assert second.supersedes == first
    assert second.status == "decided"
    assert QuarterlyReview.objects.filter(quarter="2027-Q2").count() == 2
    assert first.history.last().reason == "Seat counts were from the wrong month."
    assert first.rationale.startswith("Savings hold")  # the original stays as it was


def test_supersede_needs_a_reason_and_a_signed_review(decide, finance):
    review = decide()
    with pytest.raises(DomainError, match="Only a signed review"):
        fs.review_supersede(
            review=review, actor=finance, reason="x", decision="hold", rationale="y"
        )
    fs.review_sign(review=review, actor=finance, role="finance", decision="approve")
    with pytest.raises(DomainError, match="why"):
        fs.review_supersede(
            review=review, actor=finance, reason=" ", decision="hold", rationale="y"
        )


def test_signoffs_cover_the_snapshot(decide, finance):
    review = decide()
    fs.review_sign(review=review, actor=finance, role="finance", decision="approve")
    signoff = SignOff.objects.get(subject_kind="quarterly_review", subject_id=review.pk)
    review = QuarterlyReview.objects.get(pk=review.pk)
    # The digest covers the decision and the SHA-256 of its frozen snapshot.
    assert review_canonical(review)["snapshot_sha256"] == digest(review.snapshot)
    assert signoff.digest == digest(review_canonical(review))
    assert re.fullmatch(r"[0-9a-f]{64}", signoff.digest)


def test_program_review_kill_closes_every_open_pilot(ledger, finance, rates, as_of):
    review = fs.review_decide(
        actor=finance,
        quarter="2027-Q2",
        scope="program",
        offering=ledger.offering,
        decision="kill",
        rationale="The offering does not pay for itself.",
    )
    assert review.snapshot["pilots"][0]["id"] == ledger.pk
    fs.review_sign(review=review, actor=finance, role="finance", decision="approve")
    ledger.refresh_from_db()
    assert ledger.outcome == "killed"


def test_program_expand_records_the_seat_change(ledger, finance, rates, as_of):
    review = fs.review_decide(
        actor=finance,
        quarter="2027-Q2",
        scope="program",
        offering=ledger.offering,
        decision="expand",
        seat_delta=25,
        rationale="Add the platform team.",
    )
    review = fs.review_sign(review=review, actor=finance, role="finance", decision="approve")
    assert "now +25" in review.effect
    assert finance_seats(ledger.offering) == 25
    ledger.refresh_from_db()
    assert ledger.status == "running"


def finance_seats(offering):
    return money.program_seats(offering=offering)


def test_reviews_due_lists_unreviewed_pilots_and_programs(decide, ledger):
    due = money.reviews_due(quarter="2027-Q2")
    assert {d["scope"] for d in due} == {"pilot", "program"}
    decide()
    assert [d["scope"] for d in money.reviews_due(quarter="2027-Q2")] == ["program"]


def test_quarter_helpers():
    assert money.quarter_of(date(2027, 5, 17)) == "2027-Q2"
    assert money.quarter_bounds("2027-Q4") == (date(2027, 10, 1), date(2027, 12, 31))
    assert money.quarter_bounds("2027-Q1") == (date(2027, 1, 1), date(2027, 3, 31))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("scope", ["pilot", "program"])
def test_two_finance_users_deciding_at_once_one_wins_one_gets_a_conflict(
    ledger, rates, finance, persona, as_of, scope
):
    if connection.vendor != "postgresql":
        from tests.conftest import service_missing

        service_missing("concurrent decisions need PostgreSQL's row locking")
    from tests.factories import UserFactory

    second = UserFactory(username="finance2", role="finance")
    barrier = threading.Barrier(2)
    outcomes = []

    def run(user, decision):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            target = {"pilot": ledger} if scope == "pilot" else {"offering": ledger.offering}
            fs.review_decide(
                actor=user,
                quarter="2027-Q2",
                scope=scope,
                decision=decision,
                rationale=f"{user} decides {decision}.",
                **target,
            )
            outcomes.append("ok")
        except ConflictError as error:
            outcomes.append(error.messages[0])
        finally:
            thread_connection.close()

    threads = [
        threading.Thread(target=run, args=(finance, "hold")),
        threading.Thread(target=run, args=(second, "kill")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[-1] == "ok"
    assert outcomes.count("ok") == 1
    assert any("already has a live review" in o for o in outcomes)
    assert QuarterlyReview.objects.filter(quarter="2027-Q2").count() == 1


def test_finance_is_told_which_reviews_are_due_once_a_week(ledger, finance, as_of):
    from governance.models import Notification
    from governance.tasks import notify_reviews_due

    assert notify_reviews_due.delay().get() == 1
    note = Notification.objects.get(user=finance, kind="review_due")
    assert note.title == "2 quarterly review(s) due for 2027-Q2"
    assert ledger.title in note.body
    assert fs.reviews_due_notify() == 0  # the same week: nothing new


def test_a_hold_cannot_correct_a_kill_that_closed_the_pilot(decide, finance):
    kill = fs.review_sign(
        review=decide(decision="kill", rationale="Stop."),
        actor=finance,
        role="finance",
        decision="approve",
    )
    with pytest.raises(DomainError, match="cannot put it on hold"):
        fs.review_supersede(
            review=kill, actor=finance, reason="Premature.", decision="hold", rationale="Hold."
        )
    kill.refresh_from_db()
    assert kill.status == "signed"  # the refusal left the signed review as it was


def test_one_person_cannot_sign_a_review_in_two_roles(decide, ledger, finance):
    from tests.factories import UserFactory

    type(ledger).objects.filter(pk=ledger.pk).update(agentic=True)
    both = UserFactory(username="fin-sec", role="finance")
    both.groups.add(*type(both.groups.first()).objects.filter(name="security"))
    review = decide(decision="expand", seat_delta=5, rationale="Roll out.")
    fs.review_sign(review=review, actor=both, role="finance", decision="approve")
    with pytest.raises(DomainError, match="another person signs as security"):
        fs.review_sign(review=review, actor=both, role="security", decision="approve")


def test_finance_cannot_sign_as_security(decide, ledger, finance):
    type(ledger).objects.filter(pk=ledger.pk).update(agentic=True)
    review = decide(decision="expand", seat_delta=5, rationale="Roll out.")
    with pytest.raises(PermissionDenied, match="Only members of security sign as security"):
        fs.review_sign(review=review, actor=finance, role="security", decision="approve")


def test_an_agentic_pilot_makes_a_program_expand_need_security(ledger, finance, rates, as_of):
    type(ledger).objects.filter(pk=ledger.pk).update(agentic=True)
    review = fs.review_decide(
        actor=finance,
        quarter="2027-Q2",
        scope="program",
        offering=ledger.offering,
        decision="expand",
        seat_delta=10,
        rationale="Roll out.",
    )
    review = fs.review_sign(review=review, actor=finance, role="finance", decision="approve")
    assert review.status == "decided"  # security has not signed yet


@pytest.mark.parametrize("role", ["ai_pm", "security", "auditor"])
def test_only_finance_supersedes(decide, finance, persona, role):
    review = fs.review_sign(review=decide(), actor=finance, role="finance", decision="approve")
    with pytest.raises(PermissionDenied, match=re.escape("(governance.decide_quarterlyreview)")):
        fs.review_supersede(
            review=review, actor=persona(role), reason="x", decision="hold", rationale="y"
        )


@pytest.mark.parametrize("quarter", ["2026-Q4", "2027-Q3", "2099-Q1"])
def test_decisions_are_for_the_current_or_the_previous_quarter(decide, quarter):
    with pytest.raises(DomainError, match="Decide for 2027-Q2, or for 2027-Q1"):
        decide(quarter=quarter)


def test_a_late_decision_takes_the_quarter_it_is_about(decide):
    review = decide(quarter="2027-Q1")
    assert review.snapshot["as_of"] == "2027-03-31"


def test_signed_reviews_are_never_deleted_or_bulk_updated(decide, finance):
    review = fs.review_sign(review=decide(), actor=finance, role="finance", decision="approve")
    with pytest.raises(ValidationError, match="never deleted"):
        review.delete()
    with pytest.raises(ValidationError, match="never changed or deleted"):
        QuarterlyReview.objects.filter(pk=review.pk).update(rationale="Rewritten.")
    with pytest.raises(ValidationError, match="never changed or deleted") as error:
        QuarterlyReview.objects.filter(pk=review.pk).delete()
    assert error.value.code == "immutable"
    assert QuarterlyReview.objects.get(pk=review.pk).rationale.startswith("Savings hold")


def test_team_spend_for_the_pilots_teams_counts(ledger, rates, as_of, finance):
    team = ledger.teams.get()
    fs.spend_record(
        actor=finance,
        month=date(2027, 4, 1),
        amount=Decimal(4000),
        scope="team",
        team=team,
        vendor=ledger.offering.vendor,
        category="training",
    )
    result = money.scope_roi(pilots=[ledger], as_of=AS_OF)
    assert result["audited"]["inputs"]["one_time_costs"]["value"] == "9000.00"


def test_a_fee_billed_once_is_not_multiplied_up(running_pilot, rates, finance):
    vendor = running_pilot.offering.vendor
    for month in (1, 2, 3, 4):
        fs.spend_record(
            actor=finance,
            month=date(2027, month, 1),
            amount=Decimal(1000),
            scope="pilot",
            pilot=running_pilot,
            vendor=vendor,
            category="seats",
        )
    fs.spend_record(
        actor=finance,
        month=date(2027, 2, 1),
        amount=Decimal(12000),
        scope="pilot",
        pilot=running_pilot,
        vendor=vendor,
        category="compliance",
    )
    summary = money.spend_summary(
        money.scope_spend(pilots=[running_pilot]), currency="USD", as_of=AS_OF
    )
    # 16,000 over the 4 months since January, annualised: 48,000 (not 16,000 x 12 / 2).
    assert summary["annual_ai_spend"] == Decimal("48000.00")


def test_spend_import_names_a_non_ascii_digit_id(running_pilot, finance):
    row = {
        "month": "2027-03",
        "amount": "5",
        "scope": "pilot",
        "pilot": "²",
        "vendor": running_pilot.offering.vendor.slug,
        "category": "seats",
    }
    with pytest.raises(DomainError) as error:
        fs.spend_import(rows=[row], actor=finance)
    assert "rows[0].pilot" in error.value.message_dict


def test_the_due_list_pages_across_pilots_then_programs(ledger, as_of):
    from django.core.paginator import Paginator

    pages = Paginator(money.reviews_due(quarter="2027-Q2"), 1)
    assert pages.count == 2
    assert [d["scope"] for d in pages.page(1)] == ["pilot"]
    assert [d["label"] for d in pages.page(2)] == [f"program {ledger.offering}"]

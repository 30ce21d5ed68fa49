"""Audited benefits: recorded with evidence, signed by finance, and only then part of the
audited ROI case (never of the estimates, never unsigned)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from governance.models import AuditedBenefit
from governance.selectors import finance as money
from governance.services import benefits as bs
from tests.factories import make_pdf
from tests.governance.finance_fixtures import AS_OF
from vendors.kit.errors import DomainError


@pytest.fixture
def record(ledger, finance, as_of):
    def run(**overrides):
        fields = {
            "actor": finance,
            "pilot": ledger,
            "category": "defect_cost_avoided",
            "amount": Decimal(12000),
            "period_start": date(2027, 1, 1),
            "period_end": date(2027, 3, 31),
            "description": "Escaped defects down 8; incident cost per the Q1 post-mortems.",
            "evidence": make_pdf("q1-defects.pdf"),
        }
        fields.update(overrides)
        return bs.benefit_record(**fields)

    return run


def _roi(pilot, **kwargs):
    return money.scope_roi(pilots=[pilot], currency="USD", as_of=AS_OF, **kwargs)


def test_a_signed_benefit_enters_the_audited_case(record, ledger, finance, rates):
    before = _roi(ledger)["audited"]
    benefit = bs.benefit_sign(benefit=record(), actor=finance, decision="approve")
    assert benefit.status == "signed"
    after = _roi(ledger)
    inputs = after["audited"]["inputs"]["other_audited_benefits"]
    assert inputs["value"] == "12000.00"
    assert inputs["estimate"] is False
    assert "Defect cost avoided 12000.00" in inputs["source"]
    # The fixture's hand-computed benefit is $75,600; the audited saving adds to it.
    assert before["outputs"]["total_benefit"] == "75600.00"
    assert after["audited"]["outputs"]["total_benefit"] == "87600.00"


def test_an_unsigned_benefit_is_listed_but_never_counted(record, ledger, rates):
    benefit = record()
    out = _roi(ledger)
    assert out["audited"]["inputs"]["other_audited_benefits"]["value"] == "0"
    assert out["audited"]["outputs"]["total_benefit"] == "75600.00"
    assert [b["id"] for b in out["benefits"]["awaiting_signoff"]] == [benefit.pk]
    assert out["benefits"]["signed"] == []


def test_a_rejected_benefit_is_not_counted(record, ledger, finance, rates):
    benefit = bs.benefit_sign(
        benefit=record(), actor=finance, decision="reject", comment="No post-mortems attached."
    )
    assert benefit.status == "recorded"
    assert _roi(ledger)["audited"]["inputs"]["other_audited_benefits"]["value"] == "0"


def test_estimates_stay_in_the_best_case_and_out_of_the_audited_one(record, ledger, finance, rates):
    bs.benefit_sign(benefit=record(), actor=finance, decision="approve")
    out = _roi(ledger, estimates={"other_audited_benefits": Decimal(50000)})
    assert out["audited"]["inputs"]["other_audited_benefits"]["value"] == "12000.00"
    best = out["best"]["inputs"]["other_audited_benefits"]
    assert (best["value"], best["estimate"]) == ("50000", True)
    assert out["best"]["estimates"] == ["other_audited_benefits"]


def test_benefits_older_than_twelve_months_or_in_another_currency_are_left_out(
    record, ledger, finance, rates
):
    old = record(period_start=date(2026, 1, 1), period_end=date(2026, 4, 30))
    eur = record(currency="EUR", evidence=make_pdf("eur.pdf", b"eur"))
    for benefit in (old, eur):
        bs.benefit_sign(benefit=benefit, actor=finance, decision="approve")
    assert _roi(ledger)["audited"]["inputs"]["other_audited_benefits"]["value"] == "0"


def test_a_program_counts_its_pilots_and_its_own_benefits(record, ledger, finance, rates):
    bs.benefit_sign(benefit=record(), actor=finance, decision="approve")
    program = record(
        pilot=None,
        offering=ledger.offering,
        category="contractor_spend_avoided",
        amount=Decimal(8000),
        evidence=make_pdf("contractors.pdf", b"po"),
    )
    bs.benefit_sign(benefit=program, actor=finance, decision="approve")
    out = money.scope_roi(
        pilots=money.program_pilots(ledger.offering),
        offering=ledger.offering,
        currency="USD",
        as_of=AS_OF,
    )
    assert out["audited"]["inputs"]["other_audited_benefits"]["value"] == "20000.00"


def test_the_evidence_is_stored_and_hashed(record):
    import hashlib

    benefit = record()
    with benefit.evidence.open("rb") as stored:
        body = stored.read()
    assert hashlib.sha256(body).hexdigest() == benefit.sha256
    assert benefit.evidence.name.endswith(f"{benefit.sha256}.pdf")


def test_the_evidence_is_stored_readable_by_the_service_account_and_its_group_only(record):
    import stat
    from pathlib import Path

    mode = Path(record().evidence.path).stat().st_mode
    assert stat.S_IMODE(mode) == 0o640


def test_the_api_refuses_html_renamed_pdf_as_evidence(api_as, ledger, finance, as_of):
    from django.core.files.uploadedfile import SimpleUploadedFile

    created = api_as(finance).post(
        "/api/v1/benefits/",
        {
            "pilot": ledger.pk,
            "category": "contractor_spend_avoided",
            "amount": "5000.00",
            "period_start": "2027-01-01",
            "period_end": "2027-03-31",
            "description": "Two contractor seats not renewed.",
            "evidence": SimpleUploadedFile("po.pdf", b"<!DOCTYPE html><script>x</script>"),
        },
        format="multipart",
    )
    assert created.status_code == 400
    assert "its content is HTML, active content" in str(created.json())
    assert not AuditedBenefit.objects.exists()


def test_a_signed_benefit_never_changes(record, finance):
    benefit = bs.benefit_sign(benefit=record(), actor=finance, decision="approve")
    benefit.amount = Decimal(99999)
    with pytest.raises(ValidationError, match="never changes"):
        benefit.save()
    with pytest.raises(DomainError, match="already signed"):
        bs.benefit_sign(benefit=benefit, actor=finance, decision="approve")


def test_a_benefit_needs_evidence_a_past_period_and_a_positive_amount(record):
    with pytest.raises(DomainError, match="Attach the evidence"):
        record(evidence=None)
    with pytest.raises(DomainError, match="after today"):
        record(period_end=date(2027, 6, 30))
    with pytest.raises(ValidationError, match="above zero"):
        record(amount=Decimal(0))
    assert AuditedBenefit.objects.count() == 0


@pytest.mark.parametrize("role", ["ai_pm", "security", "platform", "auditor"])
def test_only_finance_records_a_benefit(record, persona, role):
    with pytest.raises(PermissionDenied):
        record(actor=persona(role))


def test_only_finance_signs_a_benefit(record, persona):
    benefit = record()
    with pytest.raises(PermissionDenied):
        bs.benefit_sign(benefit=benefit, actor=persona("ai_pm"), decision="approve")


def test_the_api_records_and_signs_a_benefit(api_as, ledger, finance, as_of, rates):
    created = api_as(finance).post(
        "/api/v1/benefits/",
        {
            "pilot": ledger.pk,
            "category": "contractor_spend_avoided",
            "amount": "5000.00",
            "period_start": "2027-01-01",
            "period_end": "2027-03-31",
            "description": "Two contractor seats not renewed.",
            "evidence": make_pdf("po.pdf"),
        },
        format="multipart",
    )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "recorded"
    signed = api_as(finance).post(
        f"/api/v1/benefits/{created.json()['id']}/sign/", {"decision": "approve"}, format="json"
    )
    assert signed.json()["status"] == "signed"
    listed = api_as(finance).get("/api/v1/benefits/?status=signed").json()
    assert [b["id"] for b in listed["results"]] == [created.json()["id"]]


def test_the_database_refuses_a_raw_update_of_a_signed_benefit(record, finance):
    from django.db import DatabaseError, transaction

    benefit = bs.benefit_sign(benefit=record(), actor=finance, decision="approve")
    refused = pytest.raises(DatabaseError, match="signed audited benefits are immutable")
    with refused, transaction.atomic():
        AuditedBenefit.objects.filter(pk=benefit.pk).update(amount=Decimal(1))
    benefit.refresh_from_db()
    assert benefit.amount == Decimal(12000)

"""Signed means sealed: edits made in the database behind the application's back are refused by
a trigger (PostgreSQL) or reported by verification, the anchor and the integrity sweep."""

import hashlib
import json
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.db import DatabaseError, connection, transaction

from governance.models import IntegrityCheck, Notification, Packet, SignOff
from governance.services import finance as fs
from governance.services.anchors import anchor_latest
from governance.services.integrity import integrity_sweep
from governance.services.packets import packet_verify
from tests.governance.tamper import guards_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(render_packet_of, published, security, legal):
    """Three ready packets of the same shortlist, rendered one after the other."""
    return [render_packet_of("shortlist", published, user) for user in (security, legal, security)]


@pytest.fixture
def signed_review(decide, finance):
    return fs.review_sign(review=decide(), actor=finance, role="finance", decision="approve")


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("triggers need PostgreSQL; CI runs this on PostgreSQL")


def _sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _edit_packet(packet: Packet, **fields) -> None:
    """Change a ready packet's columns as a database superuser could."""
    with guards_off():
        Packet.objects.filter(pk=packet.pk).update(**fields)


def _reseal(packet: Packet) -> None:
    """Recompute a tampered packet's seal, as an attacker who read the code could."""
    packet.refresh_from_db()
    _edit_packet(packet, seal=packet.compute_seal())


def _refused(statement: str, params: list | None = None) -> str:
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        _sql(statement, params)
    return str(refused.value)


# --- the seal covers the metadata ------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("summary", "Published: version 9 with 1 provider"),
        ("subject_label", "Some other shortlist"),
        ("subject_digest", "0" * 64),
        ("kind", "assessment"),
        ("subject_id", 999),
    ],
)
def test_it_reports_metadata_changed_after_sealing(chain, field, value):
    middle = chain[1]
    _edit_packet(middle, **{field: value})
    result = packet_verify(packet_id=middle.pk)
    assert result.chain_intact is False
    assert f"packet #{middle.pk}'s record was changed after it was sealed" in result.problems


def test_it_reports_a_changed_previous_hash_even_when_the_seal_is_recomputed(chain):
    first, middle, last = chain
    _edit_packet(middle, previous_hash="f" * 64)
    _reseal(middle)
    # Only the previous-hash link can tell: the resealed row is self-consistent.
    assert packet_verify(packet_id=last.pk).problems == [
        f"packet #{middle.pk}'s previous hash does not match packet #{first.pk}'s hash",
        f"packet #{last.pk}'s previous hash does not match packet #{middle.pk}'s hash",
    ]


def test_a_stripped_seal_is_reported(chain):
    first, middle, _ = chain
    _edit_packet(middle, seal_version=0, seal="")
    problems = packet_verify(packet_id=middle.pk).problems
    assert problems == [
        f"packet #{middle.pk} has no seal, yet it follows sealed packet #{first.pk}"
    ]


def test_a_replaced_tail_file_and_its_hash_are_caught_by_the_seal(chain):
    tail = chain[2]
    forged = b"%PDF-1.7 a forged packet"
    Path(tail.file.path).write_bytes(forged)
    _edit_packet(tail, sha256=hashlib.sha256(forged).hexdigest())
    result = packet_verify(data=forged)
    assert (result.packet, result.matches, result.chain_intact) == (tail, True, False)
    assert f"packet #{tail.pk}'s record was changed after it was sealed" in result.problems


def test_a_replaced_tail_resealed_is_caught_by_the_anchor(chain):
    tail = chain[2]
    forged = b"%PDF-1.7 a forged packet"
    Path(tail.file.path).write_bytes(forged)
    _edit_packet(tail, sha256=hashlib.sha256(forged).hexdigest())
    _reseal(tail)
    result = packet_verify(data=forged)
    assert result.chain_intact is False
    assert result.problems == [
        f"link 3 of the chain differs from its anchor of {anchor_latest().at} "
        f"(packet #{tail.pk}, hash {tail.seal[:12]}…)"
    ]


# --- the anchor ------------------------------------------------------------------------------


def test_every_append_exports_a_signed_anchor_of_the_head(chain):
    anchor = anchor_latest()
    assert (anchor.sequence, anchor.packet, anchor.hash, anchor.genuine) == (
        3,
        chain[2].pk,
        chain[2].seal,
        True,
    )
    _, files = storages["anchors"].listdir("chain")
    assert sorted(files) == ["0000000001.json", "0000000002.json", "0000000003.json"]


def test_a_deleted_newest_packet_is_reported_against_the_anchor(chain):
    _, middle, last = chain
    with guards_off():
        Packet.objects.filter(pk=last.pk).delete()
    result = packet_verify(packet_id=middle.pk)
    assert result.chain_intact is False
    assert result.problems == [
        f"the chain is shorter than its anchor: the anchor of {anchor_latest().at} names link 3 "
        f"(packet #{last.pk}) but the chain ends at link 2"
    ]


def test_an_anchor_without_our_signature_is_reported(chain):
    storage = storages["anchors"]
    name = "chain/0000000009.json"
    storage.save(name, _forged_anchor(chain[2]))
    assert packet_verify(packet_id=chain[0].pk).problems == [
        f"the chain anchor {name} is not signed with Tollgate's anchor key"
    ]


def _forged_anchor(packet):
    from django.core.files.base import ContentFile

    body = {"sequence": 9, "packet": packet.pk, "hash": "0" * 64, "at": "2027-01-01T00:00:00"}
    return ContentFile(json.dumps({**body, "hmac": "0" * 64}).encode())


def test_the_anchor_is_emailed_when_configured(render_packet_of, published, security, settings):
    from django.core import mail

    settings.TOLLGATE_ANCHOR_EMAIL = ["anchors@example.com"]
    packet = render_packet_of("shortlist", published, security)
    sent = [m for m in mail.outbox if m.to == ["anchors@example.com"]]
    assert len(sent) == 1
    assert json.loads(sent[0].body)["hash"] == packet.seal


# --- the subject's digest, recomputed --------------------------------------------------------


def test_verification_says_when_the_signed_review_changed_after_signing(
    render_packet_of, signed_review, finance
):
    packet = render_packet_of("quarterly_review", signed_review, finance)
    assert packet.status == "ready", packet.error
    assert packet_verify(packet_id=packet.pk).subject_current is True
    with guards_off():
        _sql(
            "UPDATE governance_quarterlyreview SET decision = 'kill' WHERE id = %s",
            [signed_review.pk],
        )
    result = packet_verify(packet_id=packet.pk)
    assert result.subject_current is False
    assert result.message.endswith(
        f"Quarterly review #{signed_review.pk} has changed since this packet was signed."
    )


# --- the integrity sweep ---------------------------------------------------------------------


def test_the_sweep_records_an_intact_world_and_tells_nobody(chain, signed_review, security):
    check = integrity_sweep()
    assert check.problems == []
    assert (check.links_checked, check.anchor_sequence) == (3, 3)
    assert check.subjects_checked >= 2  # the published shortlist and the signed review
    assert check.finished_at is not None
    assert not Notification.objects.filter(kind="integrity").exists()


def test_the_sweep_reports_a_signed_review_changed_in_the_database(signed_review, security):
    with guards_off():
        _sql(
            "UPDATE governance_quarterlyreview SET decision = 'kill' WHERE id = %s",
            [signed_review.pk],
        )
    check = integrity_sweep()
    tampered = type(signed_review).objects.get(pk=signed_review.pk)
    signoff = SignOff.objects.get(subject_kind="quarterly_review", subject_id=tampered.pk)
    assert check.problems == [
        f"quarterly review #{tampered.pk} ({tampered}) changed after it was signed: its "
        f"content no longer matches finance's sign-off #{signoff.pk}"
    ]
    notice = Notification.objects.get(kind="integrity", user=security)
    assert "changed after it was signed" in notice.body


def test_the_sweep_reports_a_sign_off_turned_into_a_rejection(signed_review, security):
    signoff = SignOff.objects.get(
        subject_kind="quarterly_review", subject_id=signed_review.pk, role="finance"
    )
    with guards_off():
        _sql(
            "UPDATE governance_signoff SET decision = 'reject', comment = 'no' WHERE id = %s",
            [signoff.pk],
        )
    problems = integrity_sweep().problems
    assert problems == [
        f"quarterly review #{signed_review.pk} ({signed_review}) is signed, yet finance's "
        f"latest sign-off #{signoff.pk} is a reject"
    ]


def test_the_sweep_reports_a_shortened_chain(chain, security):
    with guards_off():
        Packet.objects.filter(pk=chain[2].pk).delete()
    check = integrity_sweep()
    assert len(check.problems) == 1
    assert check.problems[0].startswith("the chain is shorter than its anchor")
    assert Notification.objects.filter(kind="integrity", user=security).count() == 1


def test_the_sweep_exports_an_anchor_that_was_never_written(chain):
    storage = storages["anchors"]
    for name in ("0000000002.json", "0000000003.json"):
        storage.delete(f"chain/{name}")
    check = integrity_sweep()
    assert (check.problems, check.anchor_sequence) == ([], 3)
    assert IntegrityCheck.objects.count() == 1


def test_the_sweep_task_runs_the_service(chain):
    from governance.tasks import integrity_sweep as task

    result = task.delay().get()
    assert result == {"check": IntegrityCheck.objects.get().pk, "problems": 0}


# --- PostgreSQL refuses edits of sealed rows -------------------------------------------------


def test_the_database_refuses_to_change_a_signed_review(postgres_only, signed_review):
    message = _refused(
        "UPDATE governance_quarterlyreview SET decision = 'kill' WHERE id = %s", [signed_review.pk]
    )
    assert f"governance_quarterlyreview row {signed_review.pk} is sealed: UPDATE refused" in message
    signed_review.refresh_from_db()
    assert signed_review.decision == "hold"


def test_the_database_refuses_to_delete_a_signed_review(postgres_only, signed_review):
    message = _refused("DELETE FROM governance_quarterlyreview WHERE id = %s", [signed_review.pk])
    assert "is sealed: DELETE refused" in message


def test_a_review_awaiting_sign_off_is_not_sealed(postgres_only, decide):
    review = decide()
    _sql("UPDATE governance_quarterlyreview SET rationale = 'Revised.' WHERE id = %s", [review.pk])
    review.refresh_from_db()
    assert review.rationale == "Revised."


def test_a_signed_review_is_still_superseded(postgres_only, signed_review, finance):
    correction = fs.review_supersede(
        review=signed_review,
        actor=finance,
        reason="Wrong seat count.",
        decision="hold",
        rationale="Corrected.",
    )
    signed_review.refresh_from_db()
    assert (signed_review.status, correction.supersedes_id) == ("superseded", signed_review.pk)
    # Superseding moves the status only: anything more is refused.
    message = _refused(
        "UPDATE governance_quarterlyreview SET status = 'signed' WHERE id = %s", [signed_review.pk]
    )
    assert "is sealed" in message


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE governance_signoff SET decision = 'reject', comment = 'x' WHERE id = %s",
        "DELETE FROM governance_signoff WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_a_sign_off(postgres_only, signed_review, statement):
    signoff = SignOff.objects.get(
        subject_kind="quarterly_review", subject_id=signed_review.pk, role="finance"
    )
    assert f"governance_signoff row {signoff.pk} is sealed" in _refused(statement, [signoff.pk])


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM governance_packet WHERE id = %s",
        "UPDATE governance_packet SET summary = 'forged' WHERE id = %s",
        "UPDATE governance_packet SET subject_label = 'forged' WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_the_newest_packet(postgres_only, chain, statement):
    assert f"governance_packet row {chain[2].pk} is sealed" in _refused(statement, [chain[2].pk])
    assert packet_verify(packet_id=chain[2].pk).chain_intact is True


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("governance_packettransition", "reason"),
        ("governance_reviewtransition", "reason"),
        ("auditlog_logentry", "object_repr"),
    ],
)
def test_the_database_refuses_to_change_history_and_audit_rows(
    postgres_only, chain, signed_review, table, column
):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(id) FROM {table}")  # noqa: S608 (a fixed table name)
        (row,) = cursor.fetchone()
    assert row is not None
    update = f"UPDATE {table} SET {column} = 'forged' WHERE id = %s"  # noqa: S608
    assert f"{table} row {row} is sealed: UPDATE refused" in _refused(update, [row])
    delete = f"DELETE FROM {table} WHERE id = %s"  # noqa: S608
    assert f"{table} row {row} is sealed: DELETE refused" in _refused(delete, [row])


def test_with_its_trigger_dropped_the_sweep_reports_the_edit(
    postgres_only, signed_review, security
):
    _sql("DROP TRIGGER governance_quarterlyreview_sealed ON governance_quarterlyreview")
    _sql(
        "UPDATE governance_quarterlyreview SET decision = 'kill' WHERE id = %s", [signed_review.pk]
    )
    check = integrity_sweep()
    assert len(check.problems) == 1
    assert "changed after it was signed" in check.problems[0]
    assert Notification.objects.filter(kind="integrity", user=security).exists()

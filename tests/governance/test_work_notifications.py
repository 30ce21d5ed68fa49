"""Every kind of work in the queue is announced (in-app and e-mail) and read once acted on."""

import pytest
from django.core import mail

from governance.choices import NotificationKind as K
from governance.choices import PacketKind
from governance.models import Notification, Packet
from governance.services import pilots as ps
from governance.services.packets import packet_fail

pytestmark = pytest.mark.django_db


def _unread(user, kind):
    return list(Notification.objects.filter(user=user, kind=kind, read_at__isnull=True))


@pytest.fixture
def submitted(
    pilot, complete_pilot, ai_pm, security, finance, legal, django_capture_on_commit_callbacks
):
    complete_pilot(pilot)
    with django_capture_on_commit_callbacks(execute=True):
        return ps.pilot_submit(pilot=pilot, actor=ai_pm)


def test_a_submitted_charter_asks_its_signers_in_app_and_by_email(
    submitted, security, finance, legal
):
    for signer in (security, finance):
        [notice] = _unread(signer, K.SIGNOFF_REQUESTED)
        assert notice.link == f"/pilots/{submitted.pk}/"
    assert not _unread(legal, K.SIGNOFF_REQUESTED)  # not agentic
    assert any(security.email in m.to for m in mail.outbox if security.email)


def test_signing_marks_the_request_read(submitted, security, sign_pilot):
    sign_pilot(submitted, roles=("security",))
    assert not _unread(security, K.SIGNOFF_REQUESTED)
    assert Notification.objects.get(user=security, kind=K.SIGNOFF_REQUESTED).read_at


def test_the_last_sign_off_tells_the_approvers_and_approving_reads_it(
    submitted, security, finance, ai_pm, sign_pilot
):
    sign_pilot(submitted)
    for user in (security, finance, ai_pm):
        assert len(_unread(user, K.APPROVAL_READY)) == 1
    ps.pilot_approve(pilot=submitted, actor=finance)
    assert not _unread(finance, K.APPROVAL_READY)


def test_opening_an_assessment_asks_security_and_legal(legal, assessment):
    [notice] = _unread(legal, K.SIGNOFF_REQUESTED)
    assert notice.link == f"/admin/vendors/assessment/{assessment.pk}/change/"


def test_a_failed_packet_tells_its_requester(platform):
    packet = Packet.objects.create(
        kind=PacketKind.ASSESSMENT,
        subject_id=1,
        subject_label="Acme",
        status="rendering",
        requested_by=platform,
    )
    packet_fail(packet_id=packet.pk, error=RuntimeError("out of memory"))
    [notice] = _unread(platform, K.FAILED)
    assert notice.link == f"/packets/{packet.pk}/"
    assert "RuntimeError: out of memory" in notice.body


def test_retrying_a_failed_packet_reads_its_notice(security):
    from governance.services.packets import packet_retry

    packet = Packet.objects.create(
        kind=PacketKind.ASSESSMENT,
        subject_id=1,
        subject_label="Acme",
        status="rendering",
        requested_by=security,
    )
    packet_fail(packet_id=packet.pk, error=RuntimeError("out of memory"))
    [notice] = _unread(security, K.FAILED)
    packet.refresh_from_db()
    packet_retry(packet=packet, actor=security)
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_evaluating_a_checkpoint_reads_its_due_reminder(approved_pilot, ai_pm):
    from datetime import timedelta

    import time_machine

    from governance.services.checkpoints import checkpoint_evaluate
    from governance.services.reminders import checkpoint_reminders_send
    from tests.governance.conftest import START

    with time_machine.travel(START, tick=False):
        ps.pilot_start(pilot=approved_pilot, actor=ai_pm)
    with time_machine.travel(START + timedelta(days=25), tick=False):
        checkpoint_reminders_send()
    [due] = _unread(ai_pm, K.CHECKPOINT_DUE)
    with time_machine.travel(START + timedelta(days=31), tick=False):
        checkpoint_evaluate(pilot=approved_pilot, checkpoint_day=30, actor=ai_pm)
    due.refresh_from_db()
    assert due.read_at is not None

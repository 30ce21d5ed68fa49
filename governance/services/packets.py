"""Sign-off packets: request, render (in a Celery task), retry, verify, download."""

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditlog.signals import accessed
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.http import FileResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from governance.choices import PacketKind, PacketStatus, VerifyOutcome
from governance.models import Packet, PacketTransition
from governance.models.packets import SEAL_VERSION
from governance.pdf import RefusedFetch, html_to_pdf, pdf_pages, pdf_title
from governance.selectors.packets import PACKET_KINDS, packet_subject, signoff_rows
from governance.selectors.sources import sources_summary
from governance.services.anchors import anchor_export, anchor_problems
from governance.services.notifications import notifications_done, notify
from vendors.kit.audit import acting_as, audited
from vendors.kit.canonical import digest
from vendors.kit.errors import TRANSIENT_DB_ERRORS, DomainError
from vendors.kit.files import FileCheck, FileState, stored_file_check
from vendors.kit.services import require
from vendors.kit.transitions import transition

S = PacketStatus


def _move(packet: Packet, to: str, *, actor: Any = None, reason: str = "", **updates) -> Packet:
    packet = transition(
        packet,
        to=to,
        actor=actor,
        reason=reason,
        history=PacketTransition,
        subject_field="packet",
        extra_updates=updates,
    )
    if to == S.FAILED:
        _tell_failed(packet)
    return packet


def _tell_failed(packet: Packet) -> None:
    """The requester hears that their packet failed, and where to retry it."""
    from governance.choices import NotificationKind

    notify(
        users=[packet.requested_by],
        kind=NotificationKind.FAILED,
        title=f"Packet #{packet.pk} failed: {packet.subject_label}"[:200],
        body=f"{packet.error or 'Rendering failed.'} Retry it from the packet's page.",
        link=reverse("packet-page", args=[packet.pk]),
    )


def _lock(packet_id: int) -> Packet:
    # Every change of a packet serialises on its row: two deliveries of the same task, or a
    # retry racing a render, cannot both move it.
    return Packet.objects.select_for_update().get(pk=packet_id)


def _enqueue(packet: Packet) -> None:
    from governance.tasks import render_packet

    # After commit: the worker must find the row it is asked to render.
    transaction.on_commit(lambda: render_packet.delay(packet.pk))


@audited
@transaction.atomic
def packet_request(*, kind: str, subject_id: int, actor: Any) -> Packet:
    """Queue a packet of a subject; a packet of it already in flight is returned instead."""
    require(actor, "governance.add_packet")
    if kind not in PACKET_KINDS:
        raise DomainError({"kind": f"Choose one of {', '.join(PacketKind.values)}."})
    spec = PACKET_KINDS[kind]
    subject = packet_subject(kind, subject_id)
    label = PacketKind(kind).label.lower()
    if subject is None:
        raise DomainError({"subject_id": f"There is no {label} #{subject_id}."})
    if not actor.has_perm(spec.view_perm, subject):
        raise PermissionDenied(f"You may not see this {label}, so you may not request its packet.")
    refusal = spec.refusal(subject)
    if refusal:
        raise DomainError({"subject_id": refusal})
    in_flight = Packet.objects.filter(kind=kind, subject_id=subject.pk, status__in=Packet.IN_FLIGHT)
    existing = in_flight.first()
    if existing is not None:
        return existing
    packet = Packet(kind=kind, subject_id=subject.pk, subject_label=str(subject)[:300])
    packet.requested_by = actor
    # One in flight per subject is the database's call: two requests of one subject on two
    # nodes both find none above, and the later insert waits for the earlier and is refused.
    packet.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            packet.save()
    except IntegrityError:
        existing = in_flight.first()
        if existing is None:
            raise
        return existing
    PacketTransition.objects.create(
        packet=packet, from_status="", to_status=S.QUEUED, actor=actor, reason="requested"
    )
    _enqueue(packet)
    return packet


@audited
@transaction.atomic
def packet_retry(*, packet: Packet, actor: Any) -> Packet:
    """Queue a failed packet again, or one stuck in flight (its worker lost); a ready packet is
    final and never re-rendered."""
    from governance.services.sweep import stuck_cutoff

    require(actor, "governance.add_packet", packet)
    packet = _lock(packet.pk)
    if packet.status in Packet.IN_FLIGHT:
        moved = packet_last_moved(packet)
        if moved is not None and moved >= stuck_cutoff():
            raise DomainError(
                f"Packet #{packet.pk} is {packet.get_status_display().lower()} (since "
                f"{moved:%Y-%m-%d %H:%M} UTC); it may be retried once it has not moved for "
                f"{settings.TOLLGATE_STUCK_AFTER // 60} minutes."
            )
        return _requeue(packet, actor=actor, reason="retry requested: stuck in flight")
    if packet.status != S.FAILED:
        raise DomainError(
            f"Packet #{packet.pk} is {packet.get_status_display().lower()}; only a failed "
            "packet is retried (or one stuck in flight)."
        )
    if Packet.objects.filter(
        kind=packet.kind, subject_id=packet.subject_id, status__in=Packet.IN_FLIGHT
    ).exists():
        raise DomainError("Another packet of this subject is being rendered.")
    packet = _move(packet, S.QUEUED, actor=actor, reason="retry requested")
    _enqueue(packet)
    # The failure notice is acted on.
    notifications_done(user=actor, link=reverse("packet-page", args=[packet.pk]))
    return packet


def packet_last_moved(packet: Packet) -> datetime | None:
    """When the packet's status last changed or it was last queued (its latest history row)."""
    return packet.history.aggregate(at=Max("at"))["at"]


def packet_retryable(packet: Packet) -> bool:
    """Whether packet_retry would take it: failed, or in flight and not moved for too long."""
    from governance.services.sweep import stuck_cutoff

    if packet.status == S.FAILED:
        return True
    moved = packet_last_moved(packet) if packet.status in Packet.IN_FLIGHT else None
    return moved is not None and moved < stuck_cutoff()


def packets_stuck(*, before: datetime) -> list[int]:
    """Ids of packets queued or rendering whose last recorded change is older than `before`."""
    return list(
        Packet.objects.filter(status__in=Packet.IN_FLIGHT)
        .annotate(moved=Max("history__at"))
        .filter(moved__lt=before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _requeue(packet: Packet, *, actor: Any, reason: str) -> Packet:
    # A rendering packet goes back to queued; a queued one (its message lost) is queued again,
    # and the history row restarts the clock the sweep reads, so it is not queued every sweep.
    if packet.status == S.RENDERING:
        packet = _move(packet, S.QUEUED, actor=actor, reason=reason)
    else:
        PacketTransition.objects.create(
            packet=packet,
            from_status=packet.status,
            to_status=S.QUEUED,
            actor=actor if getattr(actor, "pk", None) else None,
            reason=reason,
        )
    _enqueue(packet)
    return packet


@transaction.atomic
def packet_requeue_stuck(*, packet_id: int, before: datetime, max_attempts: int) -> str:
    """Queue again a packet that has not moved since `before` (its worker or message was lost);
    one whose render was started `max_attempts` times is failed instead, for a person to retry.

    Returns what was done: "requeued", "failed", or "" when it moved in the meantime.
    """
    packet = _lock(packet_id)
    moved = packet_last_moved(packet)
    if packet.status not in Packet.IN_FLIGHT or (moved is not None and moved >= before):
        return ""  # a worker moved it since the sweep looked
    since = f"{moved:%Y-%m-%d %H:%M:%S} UTC" if moved else "an unknown time"
    if packet.attempts >= max_attempts:
        reason = f"stuck {packet.status} since {since} after {packet.attempts} attempts"
        error = f"Its render was started {packet.attempts} times and never finished."
        # queued -> failed and rendering -> failed are both allowed moves.
        _move(packet, S.FAILED, reason=reason, error=error)
        return "failed"
    _requeue(packet, actor=None, reason=f"re-queued: stuck {packet.status} since {since}")
    return "requeued"


def packet_html(packet: Packet) -> tuple[str, dict]:
    """The final HTML of a packet, and the facts stored with it (summary, subject digest)."""
    spec = PACKET_KINDS[packet.kind]
    subject = packet_subject(packet.kind, packet.subject_id)
    if subject is None:
        raise DomainError(f"{packet.get_kind_display()} #{packet.subject_id} no longer exists.")
    facts = spec.context(subject)
    stored = {
        "summary": spec.summary(facts),
        "subject_digest": digest(spec.canonical(subject)),
        "subject_label": str(subject)[:300],
        "sources": sources_summary(spec.sources(subject)),
    }
    requester = packet.requested_by
    html = render_to_string(
        spec.template,
        {
            **facts,
            **stored,
            "packet": packet,
            "kind_label": packet.get_kind_display(),
            "generated_at": timezone.now(),
            "generated_by": requester.get_username(),
            "requested_by_name": requester.get_full_name(),
            "signoffs": signoff_rows(packet.kind, subject),
        },
    )
    return html, stored


def packet_render(*, packet_id: int) -> Packet:
    """Render a queued packet, hash it and append it to the chain; running it twice is harmless."""
    with transaction.atomic():
        packet = _lock(packet_id)
        if packet.status in (S.READY, S.FAILED):
            return packet  # a duplicate delivery: done already, or waiting for a person's retry
        if packet.status == S.QUEUED:
            packet = _move(packet, S.RENDERING, attempts=packet.attempts + 1)
        else:
            # Still "rendering": the worker that started was lost and the broker redelivered.
            # The history row says so, and tells the sweep the render is alive again.
            Packet.objects.filter(pk=packet.pk).update(attempts=packet.attempts + 1)
            PacketTransition.objects.create(
                packet=packet,
                from_status=S.RENDERING,
                to_status=S.RENDERING,
                reason=f"delivered again (attempt {packet.attempts + 1}): its worker was lost",
            )
    with acting_as(packet.requested_by):
        try:
            html, stored = packet_html(packet)
            data = html_to_pdf(html)
            pages = pdf_pages(data)
        except TRANSIENT_DB_ERRORS:  # retried by the task; anything else fails the packet
            raise  # the task retries with backoff
        except (Exception, RefusedFetch) as error:  # RefusedFetch is a BaseException
            return packet_fail(packet_id=packet.pk, error=error)
        return _finish(packet.pk, data, pages, stored)


CHAIN_LOCK = 7_470_002  # any constant: the advisory lock that serialises appends to the chain


def _one_append_at_a_time() -> None:
    # Locking the tail row is not enough: a render waiting on it reads the old tail once the
    # lock is free (READ COMMITTED re-checks that row, it does not look for a newer one) and
    # takes the sequence just used; two workers finishing together failed a packet that way.
    # An advisory lock held to the end of the transaction covers the empty chain too. SQLite
    # serialises writers anyway.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])


@transaction.atomic
def _finish(packet_id: int, data: bytes, pages: int, stored: dict) -> Packet:
    packet = _lock(packet_id)
    if packet.status != S.RENDERING:
        return packet  # another delivery finished first; this rendering is discarded
    _one_append_at_a_time()
    tail = Packet.objects.filter(status=S.READY).order_by("-sequence").first()
    packet.sha256 = hashlib.sha256(data).hexdigest()
    # Written before the row: if the commit fails, an unreferenced file is left, never a
    # ready row without its file.
    packet.file.save(f"{packet.sha256}.pdf", ContentFile(data), save=False)
    sealed = {
        "page_count": pages,
        "rendered_at": timezone.now(),
        "sequence": tail.sequence + 1 if tail else 1,
        "previous_packet": tail.pk if tail else None,
        # The next link chains to the seal, so it covers its predecessor's metadata too.
        "previous_hash": tail.link_hash if tail else "",
        "seal_version": SEAL_VERSION,
        **stored,
    }
    for name, value in sealed.items():
        setattr(packet, name, value)
    packet = _move(
        packet,
        S.READY,
        reason=f"rendered {pages} page{'s' if pages != 1 else ''}",
        error="",
        seal=packet.compute_seal(),
    )
    # Exported after commit: an anchor never names a link that was rolled back.
    transaction.on_commit(lambda: anchor_export(packet=packet))
    return packet


@transaction.atomic
def packet_fail(*, packet_id: int, error: BaseException) -> Packet:
    """Record why a packet could not be rendered; a person may retry it."""
    packet = _lock(packet_id)
    if packet.status != S.RENDERING:
        return packet
    text = f"{type(error).__name__}: {error}"[:2000]
    return _move(packet, S.FAILED, reason="rendering failed", error=text)


# --- verification ----------------------------------------------------------------------------


@dataclass
class Verification:
    """The answer to "is this packet genuine?": match, chain state and what it certifies."""

    packet: Packet | None
    sha256: str
    matches: bool
    chain_intact: bool
    problems: list[str] = field(default_factory=list)
    # A stored packet checked by id: verified, changed or missing (empty for an uploaded file).
    file_state: str = ""
    # Whether the subject's content today still has the digest the packet recorded (None: no
    # packet, or its subject no longer exists), and what to say when it does not.
    subject_current: bool | None = None
    subject_note: str = ""
    # An uploaded file that matches no packet but carries a ready packet's title: that packet's
    # id (the file was changed after it was issued).
    claimed: int | None = None
    # The first link of the chain (up to this packet) with a problem, if any.
    broken_at: int | None = None

    @property
    def outcome(self) -> str:
        """genuine, or what failed: file_changed, file_missing, not_tollgate, chain_broken."""
        if self.packet is None:
            return VerifyOutcome.FILE_CHANGED if self.claimed else VerifyOutcome.NOT_TOLLGATE
        if not self.matches:
            if self.file_state == FileState.MISSING:
                return VerifyOutcome.FILE_MISSING
            return VerifyOutcome.FILE_CHANGED
        if not self.chain_intact:
            return VerifyOutcome.CHAIN_BROKEN
        return VerifyOutcome.GENUINE

    @property
    def certifies(self) -> str:
        p = self.packet
        if p is None:
            return ""
        return (
            f"{p.get_kind_display()} #{p.subject_id} ({p.subject_label}): {p.summary}. "
            f"Rendered {p.rendered_at:%Y-%m-%d %H:%M} UTC for {p.requested_by.get_username()}; "
            f"subject digest {p.subject_digest}."
        )

    @property
    def message(self) -> str:
        if self.packet is None and self.claimed:
            return (
                f"This file matches no packet Tollgate issued: it carries the title of packet "
                f"#{self.claimed}, but its SHA-256 differs from the one recorded, so it was "
                "changed after it was issued."
            )
        if self.packet is None:
            return (
                "This file matches no packet Tollgate issued, and it is not a Tollgate packet "
                "(it carries no packet's title)."
            )
        link = f"packet #{self.packet.pk} (link {self.packet.sequence} of the chain)"
        if self.matches:
            head = f"This file is {link}"
        elif self.file_state == FileState.MISSING:
            # Absent is not tampered: a restore without the files, or a lost bucket.
            head = f"The file of {link} is missing from storage"
        else:
            head = f"The file of {link} was altered"
        chain = "the chain up to it is intact" if self.chain_intact else self.problems[0]
        note = f" {self.subject_note}" if self.subject_note else ""
        return f"{head}; {chain}.{note}"


def packet_file_check(packet: Packet) -> FileCheck:
    """A ready packet's stored file against its recorded SHA-256: verified, changed or missing."""
    return stored_file_check(
        storage=packet.file.storage, name=packet.file.name, sha256=packet.sha256
    )


def _file_problem(link: Packet, check: FileCheck) -> str | None:
    if check.state == FileState.MISSING:
        return f"packet #{link.pk}'s file is missing"
    if check.state == FileState.CHANGED:
        return f"packet #{link.pk}'s file does not match its stored hash"
    return None


def _seal_problem(link: Packet, previous: Packet | None) -> str | None:
    if link.seal_version:
        if link.seal != link.compute_seal():
            return f"packet #{link.pk}'s record was changed after it was sealed"
    elif previous is not None and previous.seal_version:
        # Seals only ever start: an unsealed link after a sealed one was stripped of its seal.
        return f"packet #{link.pk} has no seal, yet it follows sealed packet #{previous.pk}"
    return None


def _walk_chain(*, upto: Packet | None = None) -> Iterator[tuple[Packet, FileCheck, list[str]]]:
    """Each ready link in chain order (up to `upto`) with its file check and its problems."""
    expected, previous = 1, None
    links = Packet.objects.filter(status=S.READY)
    if upto is not None:
        links = links.filter(sequence__lte=upto.sequence)
    for link in links.order_by("sequence").iterator():
        problems = []
        if link.sequence != expected or link.previous_packet != (previous and previous.pk):
            before = f"#{previous.pk}" if previous else "the start of the chain"
            missing = f"#{link.previous_packet}" if link.previous_packet else "a packet"
            problems.append(f"packet {missing} is missing between {before} and #{link.pk}")
        elif link.previous_hash != (previous.link_hash if previous else ""):
            problems.append(
                f"packet #{link.pk}'s previous hash does not match packet #{previous.pk}'s hash"
            )
        seal_problem = _seal_problem(link, previous)
        if seal_problem:
            problems.append(seal_problem)
        check = packet_file_check(link)
        file_problem = _file_problem(link, check)
        if file_problem:
            problems.append(file_problem)
        yield link, check, problems
        expected, previous = link.sequence + 1, link


def chain_problems(*, upto: Packet) -> list[str]:
    """Walk the chain from its first link to `upto`; name every broken link, first first."""
    return [problem for _, _, problems in _walk_chain(upto=upto) for problem in problems]


def packets_check_all() -> Iterator[tuple[Packet, FileCheck, list[str]]]:
    """Every ready packet in chain order, its file's state and the chain problems at its link."""
    return _walk_chain()


def packet_subject_state(packet: Packet) -> tuple[bool | None, str]:
    """Recompute the packet's subject digest now: (still the same?, what to say if not)."""
    subject = packet_subject(packet.kind, packet.subject_id)
    label = f"{packet.get_kind_display()} #{packet.subject_id}"
    if subject is None:
        return None, f"{label} no longer exists."
    if digest(PACKET_KINDS[packet.kind].canonical(subject)) != packet.subject_digest:
        return False, f"{label} has changed since this packet was signed."
    return True, ""


def packet_verify(*, data: bytes | None = None, packet_id: int | None = None) -> Verification:
    """Check a file (or a stored packet by id) against the chain of issued packets, the chain's
    latest anchor, and the subject's content today."""
    result = _packet_verify(data=data, packet_id=packet_id)
    if result.packet is None:
        return result
    # Links after this one may have been cut off: the anchor, kept outside, says so.
    outside = anchor_problems()
    if outside:
        result.problems += outside
        result.chain_intact = False
    result.subject_current, result.subject_note = packet_subject_state(result.packet)
    return result


def _packet_verify(*, data: bytes | None, packet_id: int | None) -> Verification:
    if data is not None:
        sha = hashlib.sha256(data).hexdigest()
        packet = Packet.objects.filter(status=S.READY, sha256=sha).first()
        if packet is None:
            return Verification(
                None, sha, matches=False, chain_intact=False, claimed=_claimed_packet(data)
            )
        matches = True
    else:
        packet = Packet.objects.filter(status=S.READY, pk=packet_id).first()
        if packet is None:
            raise DomainError({"id": f"There is no ready packet #{packet_id}."})
        links = list(_walk_chain(upto=packet))
        problems = [problem for _, _, found in links for problem in found]
        # The walk already hashed the packet's own file when it is the chain's last link read.
        last = links[-1] if links else None
        check = last[1] if last and last[0].pk == packet.pk else packet_file_check(packet)
        return Verification(
            packet,
            check.sha256,
            matches=check.verified,
            chain_intact=not problems,
            problems=problems,
            file_state=check.state,
            broken_at=_first_broken(links),
        )
    links = list(_walk_chain(upto=packet))
    problems = [problem for _, _, found in links for problem in found]
    return Verification(
        packet,
        sha,
        matches=matches,
        chain_intact=not problems,
        problems=problems,
        broken_at=_first_broken(links),
    )


def _first_broken(links: list[tuple[Packet, FileCheck, list[str]]]) -> int | None:
    return next((link.pk for link, _, found in links if found), None)


CLAIMED_TITLE = re.compile(r"^Tollgate packet #(\d{1,18}):")


def _claimed_packet(data: bytes) -> int | None:
    """The ready packet whose title an unmatched file carries (its rendered <title>), if any."""
    found = CLAIMED_TITLE.match(pdf_title(data))
    if found is None:
        return None
    pk = int(found.group(1))
    return pk if Packet.objects.filter(status=S.READY, pk=pk).exists() else None


# --- downloads -------------------------------------------------------------------------------


def packet_download(*, packet: Packet, user: Any) -> FileResponse:
    """Stream a ready packet to a user allowed to see it, and log the access."""
    if not user.has_perm("governance.view_packet", packet):
        raise PermissionDenied("You may not download this packet.")
    if packet.status != S.READY:
        raise DomainError(f"Packet #{packet.pk} is {packet.get_status_display().lower()}.")
    accessed.send(sender=Packet, instance=packet)
    response = FileResponse(
        packet.file.open("rb"),
        as_attachment=True,
        filename=f"tollgate-packet-{packet.pk}-{packet.kind}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Packet-SHA256"] = packet.sha256
    return response

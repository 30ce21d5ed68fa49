"""Sign-off packets: rendered PDFs of a gate's subject, hash-chained so tampering shows."""

from django.conf import settings
from django.db import models

from governance.choices import PacketKind, PacketStatus
from vendors.kit.canonical import digest
from vendors.kit.errors import DomainError
from vendors.kit.transitions import TransitionRecord

K = PacketStatus

# 0: the hash covers only the PDF (packets made before seals); 1: the seal covers the PDF's
# hash and the packet's metadata, and the next link chains to the seal.
# 1: metadata and the PDF's hash sealed; 2: also the digests of the rows behind the figures.
SEAL_VERSION = 2


def packet_path(instance: "Packet", filename: str) -> str:
    """Store packets under private media, named by id and content hash (no user input)."""
    return f"packets/{instance.pk}/{instance.sha256}.pdf"


class Packet(models.Model):
    """A PDF sign-off packet of one subject; immutable once ready, one link of the hash chain."""

    TRANSITIONS = {
        K.QUEUED: {K.RENDERING, K.FAILED},
        # Back to queued when its worker was lost (the stuck-work sweep, or a person's retry).
        K.RENDERING: {K.READY, K.FAILED, K.QUEUED},
        K.FAILED: {K.QUEUED},  # retry
        K.READY: set(),
    }
    IN_FLIGHT = (K.QUEUED, K.RENDERING)

    kind = models.CharField(max_length=20, choices=PacketKind.choices)
    subject_id = models.PositiveBigIntegerField()
    subject_label = models.CharField(max_length=300, help_text="The subject when requested.")
    status = models.CharField(max_length=12, choices=K.choices, default=K.QUEUED)
    error = models.TextField(blank=True, help_text="Why the last rendering failed.")
    attempts = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to=packet_path, max_length=300, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    summary = models.TextField(blank=True, help_text="What the packet certifies, in plain words.")
    subject_digest = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the subject's canonical content."
    )
    sha256 = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the PDF file.")
    # The chain: ready packets are numbered 1, 2, 3 ... in order of readiness; each names
    # its predecessor's id and hash, so a deleted or altered link is found and named.
    sequence = models.PositiveIntegerField(null=True, blank=True, unique=True)
    previous_packet = models.PositiveBigIntegerField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    seal_version = models.PositiveSmallIntegerField(
        default=0,
        help_text="0: the PDF's hash only (older packets); 1: metadata and PDF sealed; "
        "2: and the digests of its source rows.",
    )
    sources = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per group of rows the figures were read from: what it feeds, its row count, "
        "first and last date, and SHA-256, when the packet was rendered.",
    )
    seal = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the sealed metadata and the PDF's hash."
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["kind", "subject_id"])]
        constraints = [
            # A retry or a double click never renders a second packet of the same subject.
            models.UniqueConstraint(
                fields=["kind", "subject_id"],
                condition=models.Q(status__in=[PacketStatus.QUEUED, PacketStatus.RENDERING]),
                name="packet_one_in_flight_per_subject",
                violation_error_message="A packet of this subject is already being rendered.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=K.READY)
                | (
                    ~models.Q(sha256="")
                    & ~models.Q(file="")
                    & models.Q(sequence__isnull=False, page_count__isnull=False)
                ),
                name="packet_ready_is_complete",
                violation_error_message="A ready packet has its file, hash, pages and place "
                "in the chain.",
            ),
        ]

    def __str__(self) -> str:
        return f"Packet #{self.pk}: {self.get_kind_display()} — {self.subject_label}"

    def save(self, *args, **kwargs) -> None:
        # Issued evidence never changes: the database refuses too (migration 0011's trigger).
        if self.pk and type(self).objects.filter(pk=self.pk, status=K.READY).exists():
            raise DomainError(f"Packet #{self.pk} is ready; a ready packet never changes.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status == K.READY:
            raise DomainError(f"Packet #{self.pk} is ready; a ready packet is never deleted.")
        return super().delete(*args, **kwargs)

    def sealed_content(self) -> dict:
        """What the seal covers: what the packet certifies, about what, for whom, when, and
        its place in the chain (the PDF through its hash)."""
        content = {
            "seal_version": self.seal_version,
            "id": self.pk,
            "kind": self.kind,
            "subject_id": self.subject_id,
            "subject_label": self.subject_label,
            "subject_digest": self.subject_digest,
            "summary": self.summary,
            "requested_by": self.requested_by_id,
            "requested_at": self.requested_at.isoformat() if self.requested_at else None,
            "rendered_at": self.rendered_at.isoformat() if self.rendered_at else None,
            "page_count": self.page_count,
            "sha256": self.sha256,
            "sequence": self.sequence,
            "previous_packet": self.previous_packet,
            "previous_hash": self.previous_hash,
        }
        if self.seal_version >= 2:
            content["sources"] = self.sources
        return content

    def compute_seal(self) -> str:
        """The seal this row's current values give (compare with `seal`)."""
        return digest(self.sealed_content())

    @property
    def link_hash(self) -> str:
        """The hash the next link chains to: the seal, or the PDF's hash for older packets."""
        return self.seal if self.seal_version else self.sha256


class PacketTransition(TransitionRecord):
    """History of a packet's status."""

    packet = models.ForeignKey(Packet, on_delete=models.CASCADE, related_name="history")

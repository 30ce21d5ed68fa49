"""verify_packets --all: each ready packet's file against its hash, and the chain's links."""

from django.core.management.base import BaseCommand, CommandError

from governance.services.packets import packets_check_all


class Command(BaseCommand):
    """Print one line per packet (verified, changed or missing), then the chain and a summary."""

    help = (
        "Check every ready packet's stored file against its SHA-256 (verified, changed or "
        "missing) and the hash chain's links; exit 1 unless all are verified."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all", action="store_true", required=True, help="Every packet.")

    def handle(self, *args, **options) -> None:
        total = verified = 0
        chain = []
        for packet, check, problems in packets_check_all():
            total += 1
            verified += check.verified
            self.stdout.write(f"packet #{packet.pk} (link {packet.sequence}): {check.state}")
            # File problems are the line above; the rest are broken links of the chain.
            chain += [p for p in problems if not p.startswith(f"packet #{packet.pk}'s file")]
        for problem in chain:
            self.stdout.write(f"chain: {problem}")
        self.stdout.write(f"packets: verified {verified} / total {total}")
        if verified != total or chain:
            raise CommandError(
                f"{total - verified} of {total} packets not verified"
                + (f"; the chain has {len(chain)} broken links" if chain else ""),
                returncode=1,
            )

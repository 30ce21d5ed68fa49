"""verify_evidence --all: each evidence file in storage against the SHA-256 taken at upload."""

from django.core.management.base import BaseCommand, CommandError

from vendors.models import Evidence
from vendors.selectors.assessments import evidence_file_check


class Command(BaseCommand):
    """Print one line per evidence file (verified, changed or missing), then a summary."""

    help = (
        "Check every evidence file in storage against the SHA-256 recorded at upload "
        "(verified, changed or missing); exit 1 unless all are verified."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all", action="store_true", required=True, help="Every file.")

    def handle(self, *args, **options) -> None:
        total = verified = 0
        for evidence in Evidence.objects.select_related("response").order_by("pk").iterator():
            check = evidence_file_check(evidence)
            total += 1
            verified += check.verified
            self.stdout.write(
                f"evidence #{evidence.pk} ({evidence.original_name}, assessment "
                f"#{evidence.response.assessment_id}): {check.state}"
            )
        self.stdout.write(f"evidence: verified {verified} / total {total}")
        if verified != total:
            raise CommandError(f"{total - verified} of {total} evidence files not verified")

"""load_framework: load a framework version (Tollgate JSON or an OSCAL catalog) with its mapping."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from vendors.framework_files import FrameworkFileError, read_framework_file
from vendors.services.frameworks import framework_load


class Command(BaseCommand):
    """Load one or more framework files; loading the same version again changes nothing."""

    help = (
        "Load framework files (vendors/frameworks/*.json, or a NIST OSCAL catalog JSON). Each "
        "(slug, version) is loaded once: the same content again changes nothing, different "
        "content is refused; a new version becomes current and older versions are kept."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument(
            "--slug", help="The framework's slug for an OSCAL catalog (default: from its title)."
        )

    def handle(self, *args, paths: list[str], slug: str | None, **options) -> None:
        for path in paths:
            try:
                result = framework_load(doc=read_framework_file(path, slug=slug))
            except FrameworkFileError as error:
                raise CommandError(f"{path}: {error}") from error
            except ValidationError as error:
                raise CommandError(f"{path}: {' '.join(error.messages)}") from error
            framework = result.framework
            verb = "Loaded" if result.created else "Unchanged:"
            self.stdout.write(
                f"{verb} {framework.name} version {framework.version} ({framework.slug}): "
                f"{result.requirements} requirements, {result.mappings} mappings"
                f"{'' if framework.current else ' (not the current version)'}."
            )

"""Sub-processors: a list imported, a change reopening residency, the gateway saying why."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from governance.models import Notification
from vendors.kit.errors import DomainError
from vendors.models import Assessment, SubProcessor, SubProcessorChange
from vendors.selectors.shortlist import shortlist_check
from vendors.services.subprocessors import subprocessor_change_settle, subprocessors_import
from vendors.subprocessor_files import SubProcessorFileError, parse_subprocessors

pytestmark = pytest.mark.django_db

DATA = Path(settings.BASE_DIR) / "tests" / "data" / "subprocessors"


def _import(vendor: str, name: str, user: str = "legal") -> str:
    out = StringIO()
    call_command("import_subprocessors", vendor, str(DATA / name), as_user=user, stdout=out)
    return out.getvalue()


@pytest.fixture
def listed(published, legal, security, today):
    """helix approved and on the published shortlist, its first list already reviewed."""
    from vendors.models import Vendor

    helix = Vendor.objects.get(slug="helix")
    for name, purpose, countries, categories in (
        (
            "Northwind Cloud",
            "Model hosting and inference",
            ["DE", "NL"],
            ["prompts", "completions"],
        ),
        ("Tallyho Logs", "Log storage", ["IE"], ["request metadata"]),
    ):
        SubProcessor.objects.create(
            vendor=helix,
            name=name,
            purpose=purpose,
            countries=countries,
            data_categories=categories,
            source="helix.csv",
            first_seen_on=today,
        )
    return published


def test_the_first_import_records_each_subprocessor(published, legal, today):
    out = _import("helix", "helix.csv")
    rows = list(SubProcessor.objects.values_list("name", "countries", "data_categories", "source"))
    assert rows == [
        ("Northwind Cloud", ["DE", "NL"], ["prompts", "completions"], "helix.csv"),
        ("Tallyho Logs", ["IE"], ["request metadata"], "helix.csv"),
    ]
    assert "Northwind Cloud added (DE, NL): Model hosting and inference (awaiting review)" in out


def test_importing_the_same_list_again_changes_nothing(listed):
    before = SubProcessorChange.objects.count()
    out = _import("helix", "helix.csv")
    assert SubProcessorChange.objects.count() == before
    assert out.strip() == "2 sub-processors listed for Helix."


def test_a_change_reopens_residency_notifies_and_the_gateway_says_why(listed, legal, security):
    assessment = Assessment.objects.get(vendor__slug="helix")
    assert assessment.status == "approved"
    assert shortlist_check(vendor_slug="helix", use="completion").allowed

    out = _import("helix", "helix-changed.json")

    assert "Northwind Cloud now also in US (awaiting review)" in out
    assert "Quillon Support added (IN): Customer support tickets (awaiting review)" in out
    assert "Tallyho Logs removed (settled)" in out
    residency = assessment.responses.get(item__code="data-residency")
    assert residency.status == "needs_review"
    assessment.refresh_from_db()
    assert assessment.status == "in_review"  # the signed content changed: approval revoked
    result = shortlist_check(vendor_slug="helix", use="completion")
    assert not result.allowed
    assert "Sub-processor change awaiting review: Northwind Cloud now also in US." in result.reasons
    assert (
        "Sub-processor change awaiting review: Quillon Support added (IN): Customer support "
        "tickets." in result.reasons
    )
    for user in (legal, security):
        assert Notification.objects.filter(
            user=user, title="Helix: sub-processors changed, data residency needs review"
        ).exists()


def test_a_settled_change_leaves_the_gateway_reasons(listed, legal):
    _import("helix", "helix-changed.json")
    for change in SubProcessorChange.objects.filter(settled_at__isnull=True):
        subprocessor_change_settle(change=change, actor=legal, note="new regions accepted")
    reasons = shortlist_check(vendor_slug="helix", use="completion").reasons
    assert not [r for r in reasons if r.startswith("Sub-processor change")]
    with pytest.raises(DomainError, match="already settled"):
        subprocessor_change_settle(change=SubProcessorChange.objects.first(), actor=legal, note="x")


def test_a_removal_alone_reopens_nothing(listed, tmp_path, legal):
    only = tmp_path / "only.csv"
    only.write_text(
        "name,purpose,countries,data_categories\n"
        "Northwind Cloud,Model hosting and inference,DE;NL,prompts;completions\n"
    )
    call_command("import_subprocessors", "helix", str(only), as_user="legal", stdout=StringIO())
    assert Assessment.objects.get(vendor__slug="helix").status == "approved"
    assert shortlist_check(vendor_slug="helix", use="completion").allowed


def test_only_reviewers_import_or_settle(listed, persona):
    persona("ai_pm")
    with pytest.raises(CommandError, match="add_subprocessor"):
        _import("helix", "helix-changed.json", user="ai_pm")
    assert not SubProcessorChange.objects.exists()
    _import("helix", "helix-changed.json")
    change = SubProcessorChange.objects.first()
    with pytest.raises(PermissionDenied):
        subprocessor_change_settle(change=change, actor=persona("auditor"), note="ok")
    with pytest.raises(PermissionDenied):
        subprocessors_import(vendor=change.vendor, rows=[], source="x", actor=persona("finance"))


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("name,purpose\nA,B\n", "csv", "lacks the columns: countries, data_categories"),
        ('[{"name": "A", "purpose": "B", "countries": ["Germany"]}]', "json", "GERMANY is not"),
        ('[{"name": "A", "purpose": "", "countries": "DE"}]', "json", "a name and a purpose"),
        ('[{"name": "A", "purpose": "B", "countries": ""}]', "json", "at least one country"),
        (
            '[{"name": "A", "purpose": "B", "countries": "DE"},'
            ' {"name": "a", "purpose": "C", "countries": "FR"}]',
            "json",
            "Listed twice: A, a",
        ),
        ("{", "json", "Not valid JSON"),
        ("x", "xml", "CSV or JSON"),
    ],
)
def test_a_bad_list_is_refused_naming_the_problem(text, fmt, message):
    with pytest.raises(SubProcessorFileError, match=message):
        parse_subprocessors(text, fmt=fmt)


def test_legal_settles_changes_from_the_admin_and_the_auditor_cannot(listed, client, persona):
    _import("helix", "helix-changed.json")
    pending = SubProcessorChange.objects.filter(settled_at__isnull=True)
    ids = [str(pk) for pk in pending.values_list("pk", flat=True)]
    url = "/admin/vendors/subprocessorchange/"
    body = {"action": "settle", "_selected_action": ids}
    client.force_login(persona("auditor"))
    client.post(url, body)
    assert pending.count() == 2
    client.force_login(persona("legal"))
    assert client.post(url, body).status_code == 302
    assert not pending.exists()
    settled = SubProcessorChange.objects.filter(pk__in=ids)
    assert set(settled.values_list("settled_by__username", flat=True)) == {"legal"}

"""Evidence uploads: checked by content and size, hashed, private, nothing stored on refusal."""

import hashlib
import re
import stat
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import make_pdf
from tests.vendors.test_filetypes import DOCM_TYPES, PDF, ooxml, word
from vendors.models import Evidence
from vendors.services.assessments import evidence_add

pytestmark = pytest.mark.django_db


def _response(assessment, code="data-residency"):
    return assessment.responses.select_related("item").get(item__code=code)


def _stored_files(media_root):
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def test_an_accepted_file_is_hashed_and_stored_privately(assessment, legal, settings):
    upload = make_pdf("dpa.pdf", b"regions: eu")
    evidence = evidence_add(response=_response(assessment), uploaded_file=upload, actor=legal)
    content = b"%PDF-1.7\nregions: eu\n%%EOF\n"
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.size == len(content)
    assert evidence.kind == "pdf"
    assert evidence.original_name == "dpa.pdf"
    stored = _stored_files(settings.MEDIA_ROOT)
    assert [p.read_bytes() for p in stored] == [content]
    assert evidence.sha256 in stored[0].name


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("tool.exe", b"MZ\x90\x00binary"),
            "Files of type .exe are not accepted",
        ),
        (SimpleUploadedFile("report.pdf", b"MZ\x90\x00binary"), "executable or script"),
        (SimpleUploadedFile("scan.pdf", b"\x89PNG\r\n\x1a\nxxxx"), "not a PDF document"),
    ],
    ids=["disallowed-type", "renamed-executable", "content-mismatch"],
)
def test_a_refused_file_stores_nothing(assessment, legal, settings, upload, message):
    with pytest.raises(ValidationError, match=message) as error:
        evidence_add(response=_response(assessment), uploaded_file=upload, actor=legal)
    assert "file" in error.value.message_dict
    assert Evidence.objects.count() == 0
    assert _stored_files(settings.MEDIA_ROOT) == []


def test_an_oversized_file_is_refused_and_stores_nothing(assessment, legal, settings):
    settings.TOLLGATE_EVIDENCE_MAX_BYTES = 1024 * 1024
    upload = make_pdf("big.pdf", b"x" * (2 * 1024 * 1024))
    with pytest.raises(ValidationError, match="the limit is 1 MB"):
        evidence_add(response=_response(assessment), uploaded_file=upload, actor=legal)
    assert Evidence.objects.count() == 0
    assert _stored_files(settings.MEDIA_ROOT) == []


def test_the_same_file_twice_on_one_item_is_refused(assessment, legal, settings):
    response = _response(assessment)
    evidence_add(response=response, uploaded_file=make_pdf("a.pdf"), actor=legal)
    with pytest.raises(ValidationError, match="already attached"):
        evidence_add(response=response, uploaded_file=make_pdf("b.pdf"), actor=legal)
    assert len(_stored_files(settings.MEDIA_ROOT)) == 1


def test_only_the_items_owner_role_uploads_evidence(assessment, security):
    with pytest.raises(PermissionDenied, match=re.escape("(vendors.change_response)")):
        evidence_add(response=_response(assessment), uploaded_file=make_pdf(), actor=security)
    assert Evidence.objects.count() == 0


def test_the_default_size_limit_is_20_mb(settings):
    from django.conf import settings as live

    assert live.TOLLGATE_EVIDENCE_MAX_BYTES == 20 * 1024 * 1024


def test_stored_evidence_is_readable_by_the_service_account_and_its_group_only(
    assessment, legal, settings
):
    evidence = evidence_add(
        response=_response(assessment), uploaded_file=make_pdf("dpa.pdf"), actor=legal
    )
    stored = Path(evidence.file.path)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o640
    for directory in stored.relative_to(settings.MEDIA_ROOT).parents:
        assert stat.S_IMODE((settings.MEDIA_ROOT / directory).stat().st_mode) == 0o750


def test_the_api_refuses_a_macro_document_naming_the_macro(api_as, legal, assessment, settings):
    docm = word(("word/vbaProject.bin", b"\xd0\xcf\x11\xe0macro"), types=DOCM_TYPES)
    upload = api_as(legal).post(
        "/api/v1/evidence/",
        {"response": _response(assessment).pk, "file": SimpleUploadedFile("policy.docx", docm)},
        format="multipart",
    )
    assert upload.status_code == 400
    assert upload.json()["details"]["file"] == [
        "The file is a Word document with macros (word/vbaProject.bin); "
        "macro-enabled documents are never accepted as evidence."
    ]
    assert Evidence.objects.count() == 0
    assert _stored_files(settings.MEDIA_ROOT) == []


def test_the_admin_refuses_a_pdf_zip_polyglot_on_the_form(client, legal, assessment, settings):
    response = _response(assessment)
    client.force_login(legal)
    page = client.post(
        f"/admin/vendors/response/{response.pk}/change/",
        {
            "status": "satisfied",
            "reason": "",
            "comment": "",
            "evidence_file": SimpleUploadedFile("dpa.pdf", PDF + ooxml("payload.html")),
            "exceptions-TOTAL_FORMS": 0,
            "exceptions-INITIAL_FORMS": 0,
            "history-TOTAL_FORMS": 0,
            "history-INITIAL_FORMS": 0,
        },
    )
    assert page.status_code == 200
    assert "The file is a PDF document but also holds a ZIP archive" in page.content.decode()
    assert response.evidence.count() == 0
    assert _stored_files(settings.MEDIA_ROOT) == []

"""Evidence uploads: checked by content and size, hashed, private, nothing stored on refusal."""

import hashlib
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import make_pdf
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

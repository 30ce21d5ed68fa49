"""HTML to PDF with WeasyPrint, fetching nothing but the app's own static files.

A packet is evidence: what it shows must come from the database and the templates, never
from the network or the server's file system (a stray URL in user text must not pull
/etc/passwd or an internal service into a signed document).
"""

import mimetypes
import posixpath
from io import BytesIO

from django.contrib.staticfiles import finders
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

# Templates reference static files as tollgate-static:<path under a static directory>.
STATIC_SCHEME = "tollgate-static:"


class RefusedFetch(FatalURLFetchingError):
    """A URL the packet renderer may not fetch; stops the rendering."""


class StaticOnlyFetcher(URLFetcher):
    """Serves tollgate-static: URLs from the app's static files; refuses everything else."""

    def __init__(self) -> None:
        super().__init__(timeout=1, allowed_protocols=(), fail_on_errors=True)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if not url.startswith(STATIC_SCHEME):
            raise RefusedFetch(f"Packets fetch only the app's static files; refused {url!r}.")
        path = posixpath.normpath(url[len(STATIC_SCHEME) :].lstrip("/"))
        found = None if path.startswith("..") else finders.find(path)
        if not found:
            raise RefusedFetch(f"No such static file: {url!r}.")
        with open(found, "rb") as handle:
            body = handle.read()
        content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": content_type})


def html_to_pdf(html: str) -> bytes:
    """Render final HTML to PDF bytes with the restricted fetcher."""
    return HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=StaticOnlyFetcher()).write_pdf()


def pdf_pages(data: bytes) -> int:
    """How many pages a PDF has."""
    return len(PdfReader(BytesIO(data)).pages)


def pdf_title(data: bytes) -> str:
    """The title in a PDF's metadata ('' for a file that is no PDF or has none).

    Read leniently: a packet with a changed byte still names the packet it claims to be.
    """
    try:
        metadata = PdfReader(BytesIO(data), strict=False).metadata
        return str((metadata or {}).get("/Title") or "")
    except Exception:  # any unreadable file is simply not a packet
        return ""


def pdf_text(data: bytes) -> str:
    """The text of every page (for tests and verification displays)."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(data)).pages)

"""PDF from the print page's HTML, made on the server with WeasyPrint.

The page holds what people typed (escaped, but still): WeasyPrint must never become a way
to read the server's files or to make the server fetch an address. Left to itself it fetches
every URL a page names (``file:``, ``http:``, ``data:``) and embeds the files of
``<link rel=attachment>`` and ``<a rel=attachment>`` in the PDF. Here it may read only the
app's own static files (the print stylesheet), by path, and a PDF never carries attachments.
"""

from __future__ import annotations

import logging
import mimetypes
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

STATIC_DIR = (Path(__file__).parent / "static").resolve()

# Relative URLs in the page ("/static/print.css") resolve against this base. The .invalid
# top-level domain never resolves (RFC 2606), so nothing can ever be fetched from it for real.
BASE_URL = "https://eenplan.invalid/"
STATIC_PREFIX = BASE_URL + "static/"


def static_file(url: str) -> Path | None:
    """The file under ``app/static`` that ``url`` names, or None for any other URL (another
    scheme or host, a query, a path outside the static folder, a folder, a missing file)."""
    if not url.startswith(STATIC_PREFIX):
        return None
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        return None
    relative = unquote(parts.path).removeprefix("/static/")
    if not relative or "\\" in relative or "\x00" in relative:
        return None
    candidate = (STATIC_DIR / relative).resolve()
    if not candidate.is_relative_to(STATIC_DIR) or not candidate.is_file():
        return None
    return candidate


@cache
def _fetcher_class() -> type[Any]:
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # local import: loads Pango

    class StaticFilesOnly(URLFetcher):  # type: ignore[misc]
        """Serves ``static_file`` URLs from disk; refuses every other URL."""

        def fetch(self, url: str, headers: object = None) -> Any:
            path = static_file(url)
            if path is None:
                log.warning("PDF: refused to fetch %.200s", url)
                raise ValueError("eenplan prints only its own static files")
            mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime_type})

    return StaticFilesOnly


def html_to_pdf(html: str) -> bytes:
    """Render the print page's HTML to PDF bytes. CPU-bound: run in a thread."""
    from weasyprint import HTML  # local import: it loads Pango and fonts, only when printing

    document = HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher_class()()).render()
    # Belt and braces: whatever the page says, the PDF embeds no files.
    document.metadata.attachments = []
    for page in document.pages:
        page.links = [link for link in page.links if link[0] != "attachment"]
    pdf: bytes = document.write_pdf(attachments=[])
    return pdf

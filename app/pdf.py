"""PDF from the print page's HTML, made on the server with WeasyPrint."""

from __future__ import annotations


def html_to_pdf(html: str) -> bytes:
    """Render self-contained HTML (styles inline) to PDF bytes. CPU-bound: run in a thread."""
    from weasyprint import HTML  # imported late: it loads Pango and fonts

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf

"""The PDF maker reads only the app's own static files and never embeds a file."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import pdf as pdf_module
from app.pdf import html_to_pdf

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfdetach") is None,
    reason="needs poppler-utils (make test installs it)",
)


def _facts(pdf: bytes, tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    attached = subprocess.run(
        ["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return text, attached


@pytest.fixture
def quiet_port() -> Iterator[tuple[int, socket.socket]]:
    """A listening local port; a fetch shows up as a waiting connection."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server.getsockname()[1], server
    server.close()


def _was_contacted(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def test_pdf_embeds_no_file_whatever_the_page_links(tmp_path: Path) -> None:
    html = """<!doctype html><html><head>
      <link rel="attachment" href="file:///etc/passwd">
      <link rel="attachment" href="/static/eenplan.css">
      </head><body><p>Plan</p>
      <a rel="attachment" href="file:///etc/hostname">bijlage</a>
      <a rel="attachment" href="/static/print.css">nog een</a>
      <img src="file:///etc/passwd">
      </body></html>"""
    text, attached = _facts(html_to_pdf(html), tmp_path)
    assert "Plan" in text
    assert "0 embedded files" in attached, attached
    assert "root:" not in text


def test_pdf_fetches_no_network_address_and_logs_what_it_refused(
    tmp_path: Path, quiet_port: tuple[int, socket.socket], caplog: pytest.LogCaptureFixture
) -> None:
    port, server = quiet_port
    address = f"http://127.0.0.1:{port}"
    html = f"""<!doctype html><html><head>
      <link rel="stylesheet" href="{address}/style.css">
      </head><body><p>Plan</p><img src="{address}/pixel.png">
      <img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E">
      </body></html>"""
    with caplog.at_level(logging.WARNING, logger="app.pdf"):
        html_to_pdf(html)
    assert not _was_contacted(server)
    refused = " ".join(r.getMessage() for r in caplog.records if r.name == "app.pdf")
    assert f"{address}/style.css" in refused and f"{address}/pixel.png" in refused
    assert "data:image" in refused


def test_pdf_uses_the_apps_own_print_stylesheet(tmp_path: Path) -> None:
    html = """<!doctype html><html><head><link rel="stylesheet" href="/static/print.css">
      </head><body><h1>Plan van <span class="case-label">Gezin € Ş 李</span></h1>
      <p class="status-stamp">CONCEPT</p></body></html>"""
    text, _ = _facts(html_to_pdf(html), tmp_path)
    assert "Pagina 1 van 1" in text  # the page margins come from print.css
    assert text.count("Gezin € Ş 李") == 2  # the heading, and the page header via string-set


@pytest.mark.parametrize(
    "url",
    [
        "https://eenplan.invalid/static/../pdf.py",
        "https://eenplan.invalid/static/%2e%2e/pdf.py",
        "https://eenplan.invalid/static/..%2fpdf.py",
        "https://eenplan.invalid/static/..%5cpdf.py",
        "https://eenplan.invalid/static/",
        "https://eenplan.invalid/static/print.css?x=1",
        "https://eenplan.invalid/static/bestaat-niet.css",
        "https://eenplan.invalid/pdf.py",
        "https://elders.example/static/print.css",
        "http://eenplan.invalid/static/print.css",
        "file:///etc/passwd",
        f"file://{pdf_module.STATIC_DIR}/print.css",
    ],
)
def test_only_existing_files_inside_the_static_folder_are_served(url: str) -> None:
    assert pdf_module.static_file(url) is None
    assert pdf_module.static_file("https://eenplan.invalid/static/print.css") == (
        pdf_module.STATIC_DIR / "print.css"
    )

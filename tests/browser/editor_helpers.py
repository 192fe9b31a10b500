"""Small helpers for the editor's browser tests: waiting for the server, reading fields."""

from __future__ import annotations

from typing import Any

SHOTS = "/tmp/shots"


def wait_saved(page) -> None:  # type: ignore[no-untyped-def]
    """Until the server confirmed every change of this page and the status says so."""
    page.wait_for_function(
        "() => window.eenplanEditor && !window.eenplanEditor.connection.unsaved()"
        " && document.querySelector('#editor-status').dataset.state === 'saved'"
    )


def open_doc(page, url: str) -> None:  # type: ignore[no-untyped-def]
    """Go to an editor page and wait until it shows the stored document."""
    page.goto(url)
    wait_saved(page)


def reload(page) -> None:  # type: ignore[no-untyped-def]
    """Load the page again, as a person pressing F5, and wait until it is in step."""
    page.reload()
    wait_saved(page)


def announcements(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The text of every live region (status or alert) on the page now."""
    texts: list[Any] = page.evaluate(
        "() => [...document.querySelectorAll('[role=status], [role=alert], [aria-live]')]"
        ".map(el => el.textContent.trim()).filter(Boolean)"
    )
    return [str(t) for t in texts]


def screenshot(page, name: str) -> str:  # type: ignore[no-untyped-def]
    path = f"{SHOTS}/{name}.png"
    page.screenshot(path=path, full_page=True)
    return path

"""Small helpers for the editor's browser tests: waiting for the server, reading fields."""

from __future__ import annotations

import json
from typing import Any

from app.crdt.protocol import AwarenessEntry, awareness_message

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


# Runs in the page before its scripts: once the HTML is parsed ("interactive", which comes
# before deferred scripts such as the editor bundle run), it fills in the editor config.
FILL_CONFIG = """
document.addEventListener('readystatechange', () => {
  const el = document.getElementById('editor-config')
  if (document.readyState !== 'interactive' || !el) return
  const config = JSON.parse(el.textContent)
  // the server always sends the key (what it holds is replaced: the test decides)
  if (!Array.isArray(config.changes)) throw new Error(el.textContent)
  config.changes = CHANGES
  el.textContent = JSON.stringify(config)
})
"""


def with_changes(page, url: str, changes: list[dict[str, Any]]) -> None:  # type: ignore[no-untyped-def]
    """Open ``url`` with ``changes`` in its editor config (the page always has the key)."""
    page.add_init_script(script=FILL_CONFIG.replace("CHANGES", json.dumps(changes)))
    open_doc(page, url)
    assert (
        page.evaluate("JSON.parse(document.getElementById('editor-config').textContent).changes")
        == changes
    )


def server_notice(page, state: dict | None, client_id: int = 777, clock: int = 1) -> None:  # type: ignore[no-untyped-def, type-arg]
    """Feed the page the awareness message the server sends for a notice (RoomServer.announce):
    the same bytes, through the editor's own socket handler."""
    message = awareness_message([AwarenessEntry(client_id, clock, state)])
    page.evaluate(
        "bytes => eenplanEditor.provider.ws.onmessage({data: new Uint8Array(bytes).buffer})",
        list(message),
    )


def notice_state(text: str, link: str | None) -> dict:  # type: ignore[type-arg]
    notice = {"kind": "restore", "text": text}
    if link is not None:
        notice["link"] = link
    return {"notice": notice, "user": {"name": "eenplan", "role": "server"}}

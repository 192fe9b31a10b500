"""The sync server's WebSocket close codes, named once (``close_codes.json``) for the server
and the browser editor alike."""

from __future__ import annotations

import json
from pathlib import Path

_CODES: dict[str, int] = json.loads(
    Path(__file__).with_name("close_codes.json").read_text(encoding="utf-8")
)["codes"]

CLOSE_GOING_AWAY = _CODES["GOING_AWAY"]  # the server stops, or the client went away
CLOSE_UNSUPPORTED = _CODES["UNSUPPORTED"]  # a text frame: y-websocket speaks binary only
CLOSE_REFUSED_UPDATE = _CODES["REFUSED_UPDATE"]  # malformed message or a refused update
CLOSE_TOO_BIG = _CODES["TOO_BIG"]  # a message over EENPLAN_MAX_MESSAGE_BYTES
CLOSE_INTERNAL = _CODES["INTERNAL"]  # a bug on our side
CLOSE_RESTART = _CODES["RESTART"]  # the room is reloaded; reconnect
CLOSE_TRY_AGAIN = _CODES["TRY_AGAIN"]  # storing failed, or the client reads too slowly
CLOSE_NOT_SIGNED_IN = _CODES["NOT_SIGNED_IN"]
CLOSE_FORBIDDEN = _CODES["FORBIDDEN"]
CLOSE_PRESENCE_TOO_BIG = _CODES["PRESENCE_TOO_BIG"]  # over EENPLAN_MAX_AWARENESS_BYTES
CLOSE_TOO_MANY_MESSAGES = _CODES["TOO_MANY_MESSAGES"]  # over EENPLAN_MAX_MESSAGES_PER_SECOND
CLOSE_TOO_MANY_CONNECTIONS = _CODES["TOO_MANY_CONNECTIONS"]  # EENPLAN_MAX_CONNECTIONS_PER_USER
CLOSE_DOCUMENT_FULL = _CODES["DOCUMENT_FULL"]  # the document reached EENPLAN_MAX_DOCUMENT_BYTES

# Kept under its old name: a malformed message closes with the same code as a refused update.
CLOSE_INVALID = CLOSE_REFUSED_UPDATE

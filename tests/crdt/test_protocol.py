"""Strict parsing of what clients send."""

from __future__ import annotations

import pytest

from app.crdt.protocol import (
    AwarenessEntry,
    AwarenessMessage,
    ProtocolError,
    QueryAwareness,
    SyncStep1,
    awareness_message,
    parse_message,
)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00",
        b"\x00\x00",
        b"\x00\x02\x05ab",  # length runs past the end
        b"\x00\x09\x00",  # unknown sync type
        b"\x00\x00\x00extra",  # trailing bytes
        b"\x02",  # auth messages come from servers, not clients
        b"\x07",
        b"\x00" + b"\xff" * 12,  # a number that never ends
        b"\x01\x03\x01\x01\x01",  # awareness cut short
        b"\x01\x06\x01\x01\x01\x02[]",  # awareness state that is not an object
        b"\x01\x05\x01\x01\x01\x01\xff",  # awareness state that is not UTF-8
    ],
)
def test_malformed_messages_raise_protocol_error(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_message(data)


def test_well_formed_messages_parse() -> None:
    assert parse_message(b"\x00\x00\x01\x00") == SyncStep1(b"\x00")
    assert parse_message(b"\x03") == QueryAwareness()


def test_awareness_roundtrips_names_outside_ascii() -> None:
    entry = AwarenessEntry(123456789, 4, {"user": {"name": "Zoë Çelik"}})
    assert parse_message(awareness_message([entry])) == AwarenessMessage((entry,))


def test_awareness_removal_is_null() -> None:
    entry = AwarenessEntry(5, 2, None)
    assert parse_message(awareness_message([entry])) == AwarenessMessage((entry,))

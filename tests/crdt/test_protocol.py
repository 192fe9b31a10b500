"""Strict parsing of what clients send, and the encoders we write ourselves."""

from __future__ import annotations

import pytest
from pycrdt import Doc, Text, handle_sync_message

from app.crdt.protocol import (
    MAX_VAR_UINT,
    AwarenessEntry,
    AwarenessMessage,
    ProtocolError,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    awareness_message,
    create_sync_step2_message,
    parse_message,
    write_var_uint,
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


@pytest.mark.parametrize(
    ("number", "encoded"),
    [
        (0, b"\x00"),
        (1, b"\x01"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (300, b"\xac\x02"),
        (2**32 - 1, b"\xff\xff\xff\xff\x0f"),
        (MAX_VAR_UINT, b"\xff\xff\xff\xff\xff\xff\xff\x0f"),
    ],
)
def test_numbers_are_written_as_lib0_writes_them(number: int, encoded: bytes) -> None:
    assert write_var_uint(number) == encoded


def test_a_sync_step2_we_write_is_read_by_pycrdt_and_by_our_parser() -> None:
    source: Doc = Doc()
    source["text"] = text = Text()
    text += "Zoë schrijft"
    update = source.get_update()
    message = create_sync_step2_message(update)
    assert parse_message(message) == SyncStep2(update)
    target: Doc = Doc()
    target["text"] = received = Text()
    assert handle_sync_message(message[1:], target) is None
    assert str(received) == "Zoë schrijft"


def test_a_sync_step1_with_a_malformed_state_vector_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        parse_message(bytes([0, 0, 3, 0x81, 0x80, 0x80]))  # one client, its id never ends
    assert parse_message(bytes([0, 0, 1, 0])) == SyncStep1(b"\x00")

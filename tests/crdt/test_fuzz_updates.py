"""Hostile updates: whatever admission lets in applies, reads and reloads cleanly in pycrdt
(a seeded, bounded fuzz run), and every input that broke a document is refused.

The fixtures (``update_fixtures.json``) are inputs found by fuzzing and by hand. Some were let
in by earlier admission rules (``admitted_before``); the rest show what pycrdt does to a
document without admission: panic, hang, kill the process, lose or misplace content.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Map

from app.crdt.schema import read_document
from tests.crdt import craft
from tests.crdt.update_fuzzer import (
    MALLORY,
    OK,
    Applied,
    Room,
    Session,
    apply_in_workers,
    fuzz,
    time_limit,
)

FIXTURES: list[dict[str, Any]] = json.loads(
    Path(__file__).with_name("update_fixtures.json").read_text(encoding="utf-8")
)

SEED = 20261109
CASES = 10_000

# Every rule of admission, as the fuzzer must keep reaching it (a sharper rule or a duller
# generator shows up here first).
RULES = [
    "belongs to someone else",
    "refers to changes the document does not have",
    "inserted inside a character",
    "wrong kind of container",
    "a map entry without a key",
    "neighbours and parent are in different places",
    "parent is not a shared type",
    "the schema has no root named",
    "refers to itself or to later changes",
    "placeholder or garbage-collected",
    "deletes changes the document does not have",
    "a map entry with a right neighbour",
    "right neighbour comes before its left one",
    "deletes half of a character",
    "starts after a gap",
    "sub-documents",
    "kind of shared type",
    "cuts a character in two",
    "malformed: a client group without structs",
    "malformed: a clock is out of range",
]


def describe(failures: list[tuple[Session, Applied]]) -> str:
    return "\n".join(
        f"{applied.outcome}: {applied.detail}\n  {session.section}: "
        + " ".join(u.hex() for u in session.admitted)
        for session, applied in failures
    )


def test_whatever_admission_lets_in_applies_reads_and_reloads_cleanly() -> None:
    report = fuzz(SEED, CASES)
    assert not report.failures, describe(report.failures[:5])
    assert not report.stalled, describe([(s, Applied("stalled", "")) for s in report.stalled])
    assert not report.honest_refused
    assert report.verdicts["admitted"] > report.updates * 0.15
    for rule in RULES:
        assert sum(n for r, n in report.reasons.items() if rule in r) >= 10, rule
    assert report.outcomes[OK] > CASES * 0.3


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f["name"] for f in FIXTURES])
def test_admission_refuses_an_update_that_broke_a_document(fixture: dict[str, Any]) -> None:
    room = Room(fixture["section"], bytes.fromhex(fixture["base"]))
    steps = [bytes.fromhex(step) for step in fixture["steps"]]
    with time_limit(2.0):
        for step in steps[: fixture["attack"]]:
            assert room.receive(step) == "admitted"
        verdict = room.receive(steps[fixture["attack"]])
    assert verdict != "admitted"
    assert fixture["refusal"] in verdict


def test_admission_takes_linear_time_on_long_chains_of_references() -> None:
    # Admission runs on the room's event loop: a slow check stalls every room of the node.
    """20,000 new items, each naming the two before it as neighbours: a check that follows
    both neighbours without remembering where it has been takes 2^20,000 steps."""
    room = Room("analyse")
    items = [craft.deleted(1, parent_root="eerdere_hulp")]
    items += [
        craft.deleted(1, origin=(MALLORY, clock - 1), right_origin=(MALLORY, clock - 2))
        if clock > 1
        else craft.deleted(1, origin=(MALLORY, 0))
        for clock in range(1, 20_000)
    ]
    update = craft.Update().add(MALLORY, 0, *items).encode()
    with time_limit(10.0):
        verdict = room.receive(update)
    assert verdict.startswith("refused") or verdict == "admitted"


def test_admission_follows_a_chain_of_thousands_of_clients() -> None:
    """Each client's item names the next client's as its left neighbour: no circle, and no
    recursion that runs out of stack (RecursionError is not a refusal; it would break the
    room's handling of the message)."""
    room = Room("analyse")
    update = craft.Update()
    first = 100_000
    for client in range(first, first + 5_000):
        where = {"origin": (client + 1, 0)} if client < first + 4_999 else {}
        update.add(
            client,
            0,
            craft.string("x", parent_root="krachten") if not where else craft.string("x", **where),
        )
    with time_limit(10.0):
        verdict = room.receive(update.encode())
    assert verdict == "admitted"


def test_without_admission_the_fixtures_break_pycrdt() -> None:
    """Each fixture still does to pycrdt what it did when it was found: every step applied,
    refused or not, in a fresh worker process (what yrs does after it corrupts its own memory
    depends on what ran before in that process)."""
    for fixture in FIXTURES:
        case = {
            "id": 0,
            "section": fixture["section"],
            "base": fixture["base"],
            "updates": fixture["steps"],
            "states": fixture["states"],
        }
        applied = apply_in_workers([case], timeout=3.0)[0]
        if fixture["memory_unsafe"]:
            assert applied.outcome != OK, fixture["name"]
        else:
            assert applied.outcome == fixture["without_admission"], (fixture["name"], applied)
            assert fixture["detail"] in applied.detail, (fixture["name"], applied)
    assert {"panic", "hang", "crash"} <= {f["without_admission"] for f in FIXTURES}


def test_a_choice_field_holding_a_list_reads_as_no_choice() -> None:
    doc = Doc()
    doc.get("doelen", type=Array).append(Map({"id": "g", "status": ["actief"]}))
    assert read_document("plan", doc)["doelen"][0]["status"] is None


def test_a_number_field_holding_nan_reads_as_no_number() -> None:
    doc = Doc()
    doc.get("domein.wonen", type=Map)["schaal_jongere"] = float("nan")
    assert read_document("perspectief", doc)["domein"]["wonen"]["schaal_jongere"] is None

"""Honest editing always passes admission, and the index of known content never drifts from the
document: for random sessions of several people editing with pycrdt, and with real Yjs."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc

from app.crdt.admission import UpdateIncomplete
from app.crdt.known_content import KnownContent
from app.crdt.schema import root_kinds
from app.crdt.update_reader import read_state_vector
from tests.crdt.test_admission import Server
from tests.crdt.update_fuzzer import honest_edit
from tests.crdt.yjs_corpus import YjsSession, corpus, node_is_ready

PROPERTIES = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def assert_index_follows(server: Server) -> None:
    """The index kept update by update says what the document says, and what an index read
    afresh from the whole document says, clock by clock."""
    assert server.known.state == read_state_vector(server.doc.get_state())
    fresh = KnownContent.of_state(server.doc.get_update())
    assert fresh.state == server.known.state
    assert fresh.type_refs == server.known.type_refs
    for client, end in fresh.state.items():
        for clock in range(end):
            id_ = (client, clock)
            assert server.known.place_at(id_) == fresh.place_at(id_), id_
            assert server.known.splits_pair(id_) == fresh.splits_pair(id_), id_


@PROPERTIES
@given(
    section=st.sampled_from(["plan", "perspectief", "analyse"]),
    clients=st.lists(st.integers(1, 2**53 - 1), min_size=2, max_size=3, unique=True),
    rng=st.randoms(use_true_random=False),
    steps=st.integers(1, 25),
)
def test_honest_pycrdt_sessions_are_admitted_and_the_index_follows_the_document(
    section: str, clients: list[int], rng: random.Random, steps: int
) -> None:
    server = Server(root_kinds(section))
    people = {f"p{i}": Doc(client_id=client) for i, client in enumerate(clients)}
    outbox: dict[str, list[bytes]] = {name: [] for name in people}
    receiving = set()
    for name, doc in people.items():

        def sent(event: object, name: str = name) -> None:
            if name not in receiving:
                outbox[name].append(event.update)  # type: ignore[attr-defined]

        doc.observe(sent)
    for _ in range(steps):
        name = rng.choice(list(people))
        honest_edit(rng, section, people[name])
        if rng.random() < 0.7:
            for update in outbox[name]:
                server.receive(update, name)
                for other, doc in people.items():
                    if other != name:
                        receiving.add(other)
                        doc.apply_update(update)
                        receiving.discard(other)
            outbox[name].clear()
            assert server.known.state == read_state_vector(server.doc.get_state())
    assert_index_follows(server)


def replay(session: YjsSession) -> Server:
    """The session's updates in the order the server got them. One that continues its
    sender's own changes after ones not yet received is set aside, as the room does (it asks
    the sender for everything it lacks; the answer, later in the session, holds it too)."""
    server = Server(root_kinds(session.section))
    for author, update in session.updates:
        try:
            server.receive(update, author)
        except UpdateIncomplete:
            continue
        assert server.known.state == read_state_vector(server.doc.get_state())
    return server


@pytest.mark.node
@pytest.mark.skipif(not node_is_ready(), reason="needs node and `make node-deps`")
def test_honest_yjs_sessions_are_admitted_and_the_index_follows_the_document() -> None:
    """Yjs editors (garbage collection off, like eenplan's editor) editing plans and perspectives,
    disconnecting and reconnecting, their updates in the order the server gets them."""
    sessions = [s for s in corpus().sessions if not s.offline]
    assert len(sessions) >= 50
    for session in sessions:
        server = replay(session)
        assert server.known.state == read_state_vector(session.server_state)
        assert_index_follows(server)


@pytest.mark.node
@pytest.mark.skipif(not node_is_ready(), reason="needs node and `make node-deps`")
def test_work_done_offline_is_admitted_when_the_editor_reconnects() -> None:
    """Someone works offline, then reconnects while typing: nothing they wrote is lost."""
    sessions = [s for s in corpus().sessions if s.offline]
    assert sessions
    for session in sessions:
        server = replay(session)
        assert server.known.state == read_state_vector(session.server_state)

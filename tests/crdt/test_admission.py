"""What the server lets into a document: honest edits pass, hand-made attacks are refused."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from pycrdt import Array, Doc, Map, Text

from app.crdt.admission import Ownership, UpdateRefused, admit
from app.crdt.known_content import KnownContent
from app.crdt.schema import root_kinds
from app.crdt.update_reader import read_update
from tests.crdt.craft import Item, Update, any_value, shared_type, string, var_uint

PLAN = root_kinds("plan")
PERSPECTIEF = root_kinds("perspectief")
ANALYSE = root_kinds("analyse")


def mine_only(*clients: int) -> Callable[[int], Ownership]:
    def owner_of(client: int) -> Ownership:
        return Ownership.MINE if client in clients else Ownership.FREE

    return owner_of


def everyone_free(_client: int) -> Ownership:
    return Ownership.FREE


class Server:
    """A document as the server keeps it, with its index, admitting updates one by one."""

    def __init__(self, roots: dict[str, str]) -> None:
        self.doc: Doc = Doc(skip_gc=True)
        self.known = KnownContent()
        self.roots = roots
        self.owners: dict[int, str] = {}

    def receive(self, update: bytes, who: str) -> tuple[int, ...]:
        outline = read_update(update)

        def owner_of(client: int) -> Ownership:
            owner = self.owners.get(client)
            if owner is None:
                return Ownership.FREE
            return Ownership.MINE if owner == who else Ownership.TAKEN

        new = admit(outline, self.known, roots=self.roots, owner_of=owner_of)
        for client in new:
            self.owners[client] = who
        self.doc.apply_update(update)
        self.known.add(outline)
        return new


def seed_plan(doc: Doc) -> None:
    goals = doc.get("doelen", type=Array)
    goals.append(
        Map(
            {
                "id": "g1",
                "titel": Text("Naar school"),
                "status": "actief",
                "acties": Array([Map({"id": "a1", "wat": Text("Wekker zetten")})]),
            }
        )
    )


def test_honest_editing_sessions_of_two_people_are_all_admitted() -> None:
    rng = random.Random(7)
    server = Server(PLAN)
    people = {name: Doc(skip_gc=True) for name in ("sanne", "wendy")}
    for doc in people.values():
        doc.get("doelen", type=Array)
    outbox: dict[str, list[bytes]] = {name: [] for name in people}
    for name, doc in people.items():
        doc.observe(lambda event, name=name: outbox[name].append(event.update))
    seed_plan(people["wendy"])
    for _ in range(300):
        name = rng.choice(list(people))
        doc = people[name]
        goals = doc.get("doelen", type=Array)
        action = rng.random()
        if action < 0.15 or len(goals) == 0:
            goals.append(Map({"id": f"g{rng.random()}", "titel": Text("doel"), "prio": 1.0}))
        elif action < 0.6:
            title = goals[rng.randrange(len(goals))]["titel"]
            title.insert(rng.randint(0, len(title)), rng.choice(["a", "bc", " "]))
        elif action < 0.75:
            title = goals[rng.randrange(len(goals))]["titel"]
            if len(title) > 1:
                start = rng.randrange(len(title) - 1)
                del title[start : start + 1]
        elif action < 0.85:
            goals[rng.randrange(len(goals))]["status"] = rng.choice(["actief", "gehaald"])
        elif action < 0.92 and len(goals) > 1:
            del goals[rng.randrange(len(goals))]
        else:
            goals[rng.randrange(len(goals))]["order"] = rng.random()
        # Deliver: each person's updates go through the server, then to the other person.
        for sender, updates in outbox.items():
            for update in updates:
                server.receive(update, sender)
                for other, other_doc in people.items():
                    if other != sender:
                        other_doc.apply_update(update)
            updates.clear()
    assert server.doc.get_update() and people["sanne"].get("doelen", type=Array).to_py() == (
        server.doc.get("doelen", type=Array).to_py()
    )


def test_a_reconnecting_client_may_send_its_whole_state_again() -> None:
    server = Server(PLAN)
    client = Doc(skip_gc=True)
    seed_plan(client)
    server.receive(client.get_update(), "wendy")
    title = client.get("doelen", type=Array)[0]["titel"]
    title.insert(len(title), "!")
    server.receive(client.get_update(), "wendy")  # all of it: the known part is skipped
    assert str(server.doc.get("doelen", type=Array)[0]["titel"]) == "Naar school!"


def refused(server: Server, update: bytes, who: str = "mallory") -> str:
    with pytest.raises(UpdateRefused) as caught:
        server.receive(update, who)
    return caught.value.reason


@pytest.fixture
def plan_server() -> tuple[Server, int]:
    server = Server(PLAN)
    wendy = Doc(skip_gc=True)
    seed_plan(wendy)
    server.receive(wendy.get_update(), "wendy")
    return server, wendy.client_id


def test_a_delete_of_someone_elses_future_clocks_is_refused(plan_server) -> None:
    server, wendy = plan_server
    end = server.known.next_clock(wendy)
    assert "does not have" in refused(server, Update().delete(wendy, end, 10**9).encode())


def test_a_delete_of_existing_content_is_admitted(plan_server) -> None:
    server, wendy = plan_server
    server.receive(Update().delete(wendy, 2, 3).encode(), "mallory")


def test_writing_under_someone_elses_client_id_is_refused(plan_server) -> None:
    server, wendy = plan_server
    end = server.known.next_clock(wendy)
    update = Update().add(wendy, end, string("x", origin=(wendy, 2))).encode()
    assert "someone else" in refused(server, update)


def test_a_placeholder_struct_is_refused(plan_server) -> None:
    server, wendy = plan_server
    update = Update().add(4242, 0, Item(10, length=2**32 - 1)).encode()
    assert "placeholder" in refused(server, update)


def test_a_garbage_collected_struct_is_refused(plan_server) -> None:
    server, _ = plan_server
    assert "placeholder" in refused(server, Update().add(4242, 0, Item(0, length=5)).encode())


def test_an_update_after_a_gap_is_refused(plan_server) -> None:
    server, _ = plan_server
    update = Update().add(4242, 3, any_value(b"\x7e", parent_root="doelen")).encode()
    assert "gap" in refused(server, update)


def test_a_reference_to_missing_content_is_refused(plan_server) -> None:
    server, wendy = plan_server
    update = Update().add(4242, 0, string("x", origin=(wendy, 10**6))).encode()
    assert "does not have" in refused(server, update)


def test_an_unknown_root_is_refused(plan_server) -> None:
    server, _ = plan_server
    update = Update().add(4242, 0, string("x" * 100, parent_root="geheim")).encode()
    assert "no root named" in refused(server, update)


def test_a_root_of_the_wrong_kind_is_refused(plan_server) -> None:
    server, _ = plan_server
    update = Update().add(4242, 0, string("x", parent_root="doelen")).encode()
    assert "wrong kind" in refused(server, update)


def test_a_string_inserted_next_to_a_list_item_is_refused(plan_server) -> None:
    """A string in a list made pycrdt loop forever when it read the list."""
    server, wendy = plan_server
    update = Update().add(4242, 0, string("a🙂b", origin=(wendy, 0))).encode()
    assert "wrong kind" in refused(server, update)


def test_a_value_inserted_into_a_text_is_refused(plan_server) -> None:
    server, wendy = plan_server
    # (wendy, 2) is a character of the goal's title.
    update = Update().add(4242, 0, any_value(b"\x7e", origin=(wendy, 3))).encode()
    assert "wrong kind" in refused(server, update)


def test_a_child_of_something_that_is_not_a_type_is_refused(plan_server) -> None:
    server, wendy = plan_server
    update = Update().add(4242, 0, string("x", parent_id=(wendy, 3))).encode()
    assert "not a shared type" in refused(server, update)


def test_xml_and_subdocuments_are_refused(plan_server) -> None:
    server, _ = plan_server
    xml = Update().add(4242, 0, Item(7, var_uint(3) + b"\x01p", parent_root="doelen"))
    assert "kind of shared type" in refused(server, xml.encode())


def test_changes_that_refer_to_each_other_in_a_circle_are_refused(plan_server) -> None:
    server, wendy = plan_server
    update = (
        Update()
        .add(1, 0, string("a", origin=(2, 0)))
        .add(2, 0, string("b", origin=(1, 0)))
        .encode()
    )
    assert "circle" in refused(server, update)


def test_a_map_entry_without_a_key_is_refused() -> None:
    server = Server(PERSPECTIEF)
    update = Update().add(4242, 0, any_value(b"\x7e", parent_root="domein.wonen")).encode()
    assert "without a key" in refused(server, update)


def test_a_nested_map_entry_needs_the_map_type_of_its_parent(plan_server) -> None:
    server, wendy = plan_server
    goal = (wendy, 0)
    ok = Update().add(4242, 0, any_value(b"\x78", parent_id=goal, parent_sub="klaar"))
    server.receive(ok.encode(), "mallory")
    bad = Update().add(4343, 0, shared_type(2, parent_id=goal))
    assert "without a key" in refused(server, bad.encode())


def test_the_first_user_of_a_client_id_keeps_it(plan_server) -> None:
    server, _ = plan_server
    first = Update().add(777, 0, any_value(b"\x7e", parent_root="doelen")).encode()
    assert server.receive(first, "sanne") == (777,)
    second = Update().add(777, 1, any_value(b"\x7e", origin=(777, 0))).encode()
    assert "someone else" in refused(server, second, who="mallory")
    assert server.receive(second, "sanne") == ()

"""The store under sustained mixed load, against a real server process: thousands of updates
over many documents while another connection holds the database's write lock for hundreds of
milliseconds at intervals, with WAL checkpoints and compactions on the way. Nothing is lost,
nobody is closed, and at the end every client, its peer and the database hold the same text.

The benchmark runs the same test for minutes: ``EENPLAN_LOAD_EDITS=3000 make bench-sustained``
(each of the 24 editors types that many edits; the summary line gives the numbers).
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from pycrdt import Text
from sqlalchemy import create_engine, text
from sqlmodel import Session, func, select

from app.crdt.store import stored_doc
from app.db import make_engine
from app.models import DocumentSnapshot, Role, Section, User
from app.services import cases, membership, participants
from tests.conftest import PASSWORD, Family, _years_ago, make_user
from tests.crdt.conftest import doc_id_of
from tests.crdt.live import LiveServer, LiveYClient, running

pytestmark = pytest.mark.slow

FAMILIES = 3
EDITS_PER_CLIENT = int(os.environ.get("EENPLAN_LOAD_EDITS", "250"))
LOCK_EVERY_SECONDS = 0.5
LOCK_HOLD_SECONDS = 0.3


@dataclass(frozen=True)
class Pair:
    """One document and the two people who type in it at the same time."""

    doc_id: str
    field: str
    writers: tuple[User, User]


def _family(db: Session, n: int) -> Family:
    wij = make_user(db, f"Wendy {n}", professional=True, totp=True)
    case = cases.create_case(
        db, actor=wij, label=f"Gezin Last {n}", youth_birth_date=_years_ago(14).isoformat()
    )
    people = {"aanspreekpunt": wij}
    places = {"aanspreekpunt": membership.active_participant(db, user=wij, case_id=case.id)}
    for key, role, gezag, professional in [
        ("jongere", Role.jongere, False, False),
        ("moeder", Role.ouder, True, False),
        ("specialist", Role.specialist, False, True),
    ]:
        user = make_user(db, f"{key} {n}", professional=professional, totp=professional)
        places[key] = participants.add_participant(db, case=case, user=user, role=role, gezag=gezag)
        db.commit()
        people[key] = user
    return Family(case=case, people=people, places=places)


def _pairs(database_url: str) -> list[Pair]:
    engine = make_engine(database_url)
    pairs = []
    with Session(engine, expire_on_commit=False) as db:
        for n in range(FAMILIES):
            f = _family(db, n)
            pairs += [
                Pair(
                    doc_id_of(db, f, Section.analyse),
                    "krachten",
                    (f.user("jongere"), f.user("specialist")),
                ),
                Pair(
                    doc_id_of(db, f, Section.perspectief),
                    "domein.wonen.huidige_situatie",
                    (f.user("moeder"), f.user("aanspreekpunt")),
                ),
                Pair(
                    doc_id_of(db, f, Section.verhaal, owner="jongere"),
                    "hulpvraag",
                    (f.user("jongere"), f.user("aanspreekpunt")),
                ),
                Pair(
                    doc_id_of(db, f, Section.verhaal, owner="moeder"),
                    "mijn_verhaal",
                    (f.user("moeder"), f.user("aanspreekpunt")),
                ),
            ]
    engine.dispose()
    return pairs


class LockHolder:
    """Another connection that takes the write lock at intervals and holds it a while (a
    backup, a migration, a long report): the store must wait, never drop."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.stop = threading.Event()
        self.held = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockHolder:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        if self.database_url.startswith("sqlite"):
            path = self.database_url.removeprefix("sqlite:///")
            conn = sqlite3.connect(path, isolation_level=None, timeout=30)
            while not self.stop.wait(LOCK_EVERY_SECONDS):
                conn.execute("BEGIN IMMEDIATE")
                time.sleep(LOCK_HOLD_SECONDS)
                conn.execute("COMMIT")
                self.held += 1
            conn.close()
            return
        # PostgreSQL: the row locks appends and compaction take on their documents.
        engine = create_engine(self.database_url)
        while not self.stop.wait(LOCK_EVERY_SECONDS):
            with engine.begin() as conn:
                conn.execute(text("SELECT id FROM documents ORDER BY id FOR UPDATE"))
                time.sleep(LOCK_HOLD_SECONDS)
            self.held += 1
        engine.dispose()


def _type(client: LiveYClient, tag: str, rng: random.Random, errors: list[str]) -> None:
    try:
        for i in range(EDITS_PER_CLIENT):
            client.type(f"<{tag}{i}>")
            time.sleep(rng.uniform(0.02, 0.08))
    except Exception as exc:  # a closed socket shows up in the checks below
        errors.append(f"{tag}: {exc!r}")


def test_thousands_of_updates_under_lock_contention_lose_nothing(
    database_url: str, tmp_path: Path
) -> None:
    pairs = _pairs(database_url)
    server = LiveServer(database_url, tmp_path / "server.log")
    errors: list[str] = []
    with running(server):
        tokens: dict[int, str] = {}
        for pair in pairs:
            for user in pair.writers:
                if user.id not in tokens:
                    tokens[user.id] = server.sign_in(user.email, PASSWORD)  # type: ignore[index]
        clients = [
            (
                pair,
                [
                    LiveYClient(server, tokens[u.id], pair.doc_id, field=pair.field)  # type: ignore[index]
                    for u in pair.writers
                ],
            )
            for pair in pairs
        ]
        for _, both in clients:
            for c in both:
                c.wait_for(lambda c: c.synced)
        rng = random.Random(9)
        threads = [
            threading.Thread(
                target=_type, args=(c, f"{p}.{w}.", random.Random(rng.random()), errors)
            )
            for p, (_, both) in enumerate(clients)
            for w, c in enumerate(both)
        ]
        started = time.monotonic()
        with LockHolder(database_url) as holder:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=EDITS_PER_CLIENT * 0.2 + 120)
        for p, (_, both) in enumerate(clients):
            last = [f"<{p}.{w}.{EDITS_PER_CLIENT - 1}>" for w in range(2)]
            for c in both:
                c.wait_for(lambda c, last=last: all(m in c.content() for m in last), seconds=120)
        finals = {}
        for p, (pair, both) in enumerate(clients):
            with both[0].lock, both[1].lock:
                a, b = both[0].content(), both[1].content()
            assert a == b, f"document {p}: the two editors differ"
            for w in range(2):
                for i in range(EDITS_PER_CLIENT):
                    assert f"<{p}.{w}.{i}>" in a, f"document {p}: edit {w}.{i} is missing"
            finals[pair.doc_id] = (pair.field, a)
        closes = [c.close_code for _, both in clients for c in both if c.closed]
        for _, both in clients:
            for c in both:
                c.close()
    log = (tmp_path / "server.log").read_text()
    assert errors == []
    assert closes == []
    assert holder.held >= 5
    assert "ERROR" not in log, log[-3000:]
    engine = make_engine(database_url)
    with engine.connect() as conn:
        for doc_id, (field, content) in finals.items():
            assert str(stored_doc(conn, doc_id).get(field, type=Text)) == content
    with Session(engine) as db:
        snapshots = db.exec(select(func.count()).select_from(DocumentSnapshot)).one()
    engine.dispose()
    assert snapshots >= len(pairs)  # every document was compacted at least once on the way
    updates = len(pairs) * 2 * EDITS_PER_CLIENT
    print(
        f"\nsustained load on {database_url.split(':')[0]}: {updates} updates over "
        f"{len(pairs)} documents in {time.monotonic() - started:.0f} s, write lock held "
        f"{holder.held}× for {LOCK_HOLD_SECONDS * 1000:.0f} ms, {snapshots} snapshots, "
        f"0 lost, 0 closed, clients = peers = database"
    )

"""Hostile WebSocket frames against a real server, for a long run (100,000 frames by default).

    .venv/bin/python -m bench.fuzz_wire [--frames 100000] [--attackers 6]

Attackers send the seeded frames of ``tests/crdt/wire_fuzzer.py`` (valid, mutated and made-up
sync steps, updates and presence, text frames, oversized presence) at three documents of a
case, reconnecting whenever the server closes them; an honest person keeps typing in a fourth
document. The message rate limit is raised so the frames reach the parser. At the end: the
server is up, the honest text is complete and stored, and every attacked document reads the
same from the server's memory and from the database. Prints the counts per outcome.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from pycrdt import Doc, Text
from websockets.asyncio.client import connect

from app.crdt.schema import read_document
from app.crdt.store import stored_doc
from app.db import make_engine
from app.migrate import upgrade_to_head
from app.models import Section
from app.security import SESSION_COOKIE
from tests.conftest import PASSWORD
from tests.crdt.live import LiveServer, LiveYClient
from tests.crdt.wire_fuzzer import SECTIONS, frames

SYNC_STEP1_EMPTY = bytes([0, 0, 1, 0])


def _family(url: str):  # type: ignore[no-untyped-def]
    from sqlmodel import Session, select

    from app.models import Document, Participant, Role
    from app.services import cases, participants
    from tests.conftest import Family, _years_ago, make_user
    from tests.crdt.conftest import doc_id_of

    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as db:
        wij = make_user(db, "Wendy WIJ", professional=True, totp=True)
        case = cases.create_case(
            db, actor=wij, label="Gezin Fuzz", youth_birth_date=_years_ago(14).isoformat()
        )
        people = {"aanspreekpunt": wij}
        for key, role, gezag in [("jongere", Role.jongere, False), ("moeder", Role.ouder, True)]:
            user = make_user(db, key)
            participants.add_participant(db, case=case, user=user, role=role, gezag=gezag)
            db.commit()
            people[key] = user
        family = Family(case=case, people=people, places={})
        docs = {s: doc_id_of(db, family, Section(s)) for s in SECTIONS}
        youth_place = db.exec(
            select(Participant).where(
                Participant.case_id == case.id, Participant.user_id == people["jongere"].id
            )
        ).one()
        story = db.exec(
            select(Document).where(Document.owner_participant_id == youth_place.id)
        ).one()
    engine.dispose()
    return family, docs, story.id


async def attacker(
    server: LiveServer,
    token: str,
    doc_id: str,
    section: str,
    seed: int,
    count: int,
    outcomes: Counter[str],
) -> None:
    stream = itertools.islice(frames(seed, section), count)
    headers = {"Cookie": f"{SESSION_COOKIE}={token}"}
    ws = None
    for frame in stream:
        if ws is None:
            ws = await connect(
                server.ws_url(doc_id),
                origin=server.origin,  # type: ignore[arg-type]
                additional_headers=headers,
                max_size=None,
                open_timeout=30,
            )
        try:
            if frame.text is not None:
                await ws.send(frame.text)
            else:
                await ws.send(frame.data)
            await ws.send(SYNC_STEP1_EMPTY)
            while True:
                data = await asyncio.wait_for(ws.recv(), 30)
                if isinstance(data, bytes) and data[:2] == bytes([0, 1]):
                    outcomes["kept open"] += 1
                    break
        except Exception:
            outcomes[f"closed {ws.close_code}"] += 1
            ws = None
    if ws is not None:
        await ws.close()


async def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="eenplan-fuzz-wire-"))
    url = f"sqlite:///{workdir / 'fuzz.db'}"
    upgrade_to_head(url)
    family, docs, story = _family(url)
    server = LiveServer(
        url, workdir / "server.log", extra_env={"EENPLAN_MAX_MESSAGES_PER_SECOND": "100000"}
    )
    server.start()
    try:
        mother = server.sign_in(family.user("moeder").email, PASSWORD)
        youth = server.sign_in(family.user("jongere").email, PASSWORD)
        writer = LiveYClient(server, youth, story, field="hulpvraag")
        writer.wait_for(lambda c: c.synced)
        outcomes: Counter[str] = Counter()
        per = args.frames // args.attackers
        started = time.perf_counter()
        tasks = [
            asyncio.create_task(
                attacker(
                    server, mother, docs[SECTIONS[i % 3]], SECTIONS[i % 3], 1000 + i, per, outcomes
                )
            )
            for i in range(args.attackers)
        ]
        typed = 0
        while not all(t.done() for t in tasks):
            writer.type(f"<{typed}>")
            typed += 1
            await asyncio.sleep(0.2)
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
        expected = "".join(f"<{n}>" for n in range(typed))
        writer.wait_for(lambda c: c.content() == expected, seconds=60)
        alive = server.process is not None and server.process.poll() is None
        live_states = {}
        for doc_id in [*docs.values(), story]:
            probe = LiveYClient(
                server, youth if doc_id == story else mother, doc_id, field="hulpvraag"
            )
            probe.wait_for(lambda c: c.synced)
            live_states[doc_id] = probe.doc.get_update()
            probe.close()
        writer.close()
    finally:
        server.stop()
    engine = make_engine(url)
    with engine.connect() as conn:
        same = all(
            read_document(section, stored_doc(conn, docs[section]))
            == read_document(section, _doc(live_states[docs[section]]))
            for section in SECTIONS
        )
        honest = str(stored_doc(conn, story).get("hulpvraag", type=Text)) == expected
    engine.dispose()
    sent = sum(outcomes.values())
    print(
        f"{sent} hostile frames in {elapsed:.0f} s over {args.attackers} attackers and three "
        "documents; "
        f"outcomes {dict(sorted(outcomes.items()))}; server alive: {alive}; honest writer: "
        f"{typed} edits, all stored: {honest}; attacked documents equal in memory and "
        f"database: {same}"
    )
    return 0 if alive and honest and same and "closed 1011" not in outcomes else 1


def _doc(state: bytes) -> Doc:
    doc = Doc()
    doc.apply_update(state)
    return doc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz_wire")
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--attackers", type=int, default=6)
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())

"""How fast a revocation reaches a socket on another node (PostgreSQL + Redis, two processes).

    .venv/bin/python -m bench.revocation [--trials 20]

A mother (ouder with gezag) has the analyse open on node 2. The aanspreekpunt takes her gezag
away on node 1 (``POST /cases/{id}/deelnemers/{participant}``, as the browser does). Measured:
from sending that request until node 2 closed her socket (4403), and from the request's answer
until then. Then her gezag is given back and the next trial starts. It needs PostgreSQL and
Redis (``EENPLAN_TEST_POSTGRES_URL``, ``EENPLAN_TEST_REDIS_URL``; defaults: the local ones).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.migrate import upgrade_to_head
from app.models import Section
from app.security import SESSION_COOKIE
from tests.conftest import PASSWORD
from tests.crdt.live import LiveServer, LiveYClient

POSTGRES = os.environ.get(
    "EENPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS = os.environ.get("EENPLAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _database() -> tuple[str, str]:
    name = f"eenplan_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    return url, name


def _drop(name: str) -> None:
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _family(url: str):  # type: ignore[no-untyped-def]
    from sqlmodel import Session

    from app.db import make_engine
    from app.models import Role
    from app.services import cases, participants
    from tests.conftest import Family, _years_ago, make_user
    from tests.crdt.conftest import doc_id_of

    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as db:
        wij = make_user(db, "Wendy WIJ", professional=True, totp=True)
        case = cases.create_case(
            db, actor=wij, label="Gezin Bench", youth_birth_date=_years_ago(14).isoformat()
        )
        mother = make_user(db, "Marieke")
        place = participants.add_participant(
            db, case=case, user=mother, role=Role.ouder, gezag=True
        )
        db.commit()
        family = Family(
            case=case,
            people={"aanspreekpunt": wij, "moeder": mother},
            places={"moeder": place},
        )
        doc_id = doc_id_of(db, family, Section.analyse)
    engine.dispose()
    return family, doc_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.revocation")
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args(argv)
    url, name = _database()
    workdir = Path(tempfile.mkdtemp(prefix="eenplan-revocation-"))
    env = {"EENPLAN_REDIS_URL": REDIS}
    one = LiveServer(url, workdir / "one.log", extra_env=env)
    two = LiveServer(url, workdir / "two.log", extra_env=env)
    try:
        family, doc_id = _family(url)
        one.start()
        two.start()
        wij_token = one.sign_in(family.user("aanspreekpunt").email, PASSWORD)
        mother_token = two.sign_in(family.user("moeder").email, PASSWORD)
        change = f"/cases/{family.case.id}/deelnemers/{family.places['moeder'].id}"
        http = httpx.Client(
            base_url=one.origin,
            headers={"Origin": one.origin},
            cookies={SESSION_COOKIE: wij_token},
            timeout=30,
        )
        from_request: list[float] = []
        from_answer: list[float] = []
        for _ in range(args.trials):
            mother = LiveYClient(two, mother_token, doc_id)
            mother.wait_for(lambda c: c.synced)
            t0 = time.perf_counter()
            answer = http.post(change, data={"role": "ouder"})  # no gezag: no analyse
            t1 = time.perf_counter()
            assert answer.status_code == 303, answer.text
            mother.wait_for(lambda c: c.closed)
            assert mother.close_code == 4403, mother.close_code
            assert mother.closed_at is not None
            t2 = mother.closed_at
            from_request.append((t2 - t0) * 1000)
            from_answer.append((t2 - t1) * 1000)
            back = http.post(change, data={"role": "ouder", "gezag": "true"})
            assert back.status_code == 303, back.text
            mother.close()
        print(
            f"{args.trials} revocations across two nodes (PostgreSQL + Redis): socket closed on "
            f"the other node {statistics.median(from_request):.1f} ms (p50) / "
            f"{max(from_request):.1f} ms (max) after the request was sent; "
            f"{statistics.median(from_answer):.1f} ms (p50) / {max(from_answer):.1f} ms (max) "
            "after its answer"
        )
    finally:
        one.stop()
        two.stop()
        _drop(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A throw-away eenplan database for the benchmark, and real sign-ins through ``POST /login``.

Seeding goes through the services (users, cases, participants). Every account gets the same
password; to keep seeding short the Argon2 hash is computed once and reused (sign-in still runs
the full Argon2 verification on the server for every account).
"""

from __future__ import annotations

import http.client
import os
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from unittest import mock

from sqlmodel import Session

from bench.servers import ROOT, VENV_BIN

PASSWORD = "een-goed-wachtwoord-voor-de-bench"


@dataclass
class Editor:
    """An account that may edit the documents it is used for."""

    email: str
    cookie: str = ""


@dataclass
class Seed:
    database_url: str
    # load name -> list of (doc_id, [editor index, ...])
    docs: dict[str, list[tuple[str, list[int]]]] = field(default_factory=dict)
    editors: list[Editor] = field(default_factory=list)
    # doc_id -> the root text editors type in (the analyse's first field when not listed)
    text_of: dict[str, str] = field(default_factory=dict)
    sign_in_ms: list[float] = field(default_factory=list)


def migrate(database_url: str) -> None:
    subprocess.run(
        [str(VENV_BIN / "eenplan"), "migrate"],
        cwd=ROOT,
        env={**os.environ, "EENPLAN_DATABASE_URL": database_url},
        check=True,
        capture_output=True,
    )


def seed(workdir: Path, *, big_editors: int, pair_cases: int) -> Seed:
    """One case whose analyse gets ``big_editors`` editors (load A) and whose perspectief and
    veiligheid ten of them (loads D and E), and ``pair_cases`` cases with two editors each whose
    analyse documents make load B; load C uses the first of those."""
    from app.db import make_engine
    from app.models import Role
    from app.security import hash_password
    from app.services import accounts, cases, documents, participants

    database_url = f"sqlite:///{workdir / 'bench.db'}"
    migrate(database_url)
    engine = make_engine(database_url)
    result = Seed(database_url)
    one_hash = hash_password(PASSWORD)
    birth = date(date.today().year - 14, 1, 1).isoformat()

    with (
        mock.patch.object(accounts, "hash_password", lambda _p: one_hash),
        Session(engine, expire_on_commit=False) as session,
    ):

        def new_user(n: int):  # type: ignore[no-untyped-def]
            email = f"bench{n}@voorbeeld.nl"
            result.editors.append(Editor(email))
            return accounts.create_user(
                session, email=email, name=f"Bench {n}", password=PASSWORD, is_professional=True
            )

        def shared_docs(user, case_id: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
            found = documents.documents_for_user(session, user=user, case_id=case_id)
            return {str(d.document.section): d.document.id for d in found}

        # Load A and C: one case, many specialists.
        owner = new_user(0)
        case = cases.create_case(session, actor=owner, label="Bench groot", youth_birth_date=birth)
        for n in range(1, big_editors):
            user = new_user(n)
            participants.add_participant(session, case=case, user=user, role=Role.specialist)
            session.commit()
        docs = shared_docs(owner, case.id)
        result.docs["A"] = [(docs["analyse"], list(range(big_editors)))]
        # D: 10 editors of the perspectief (a flooder joins them); E: 10 editors of the analyse.
        result.docs["D"] = [(docs["perspectief"], list(range(10)))]
        result.text_of[docs["perspectief"]] = "domein.steun.huidige_situatie"
        result.docs["E"] = [(docs["analyse"], list(range(10)))]

        # Load B: many small cases, two editors each, the analyse document of each (the text
        # every editor writes in is the analyse's first field).
        result.docs["B"] = []
        for c in range(pair_cases):
            first = len(result.editors)
            a = new_user(first)
            b = new_user(first + 1)
            case = cases.create_case(session, actor=a, label=f"Bench {c}", youth_birth_date=birth)
            participants.add_participant(session, case=case, user=b, role=Role.specialist)
            session.commit()
            docs = shared_docs(a, case.id)
            result.docs["B"].append((docs["analyse"], [first, first + 1]))
            if c == 0:
                result.docs["C"] = [(docs["analyse"], [first, first + 1])]
    engine.dispose()
    return result


def sign_in_all(result: Seed, port: int, *, parallel: int = 2) -> None:
    """POST /login for every account (Argon2 verification on the server), keep the cookies."""

    def sign_in(editor: Editor) -> float:
        t0 = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            body = f"email={editor.email}&password={PASSWORD}".replace("@", "%40")
            conn.request(
                "POST",
                "/login",
                body=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": f"http://127.0.0.1:{port}",
                },
            )
            response = conn.getresponse()
            response.read()
            if response.status != 303:
                raise RuntimeError(f"sign-in of {editor.email} answered {response.status}")
            cookies = [
                v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"
            ]
            editor.cookie = "; ".join(cookies)
        finally:
            conn.close()
        return (time.perf_counter() - t0) * 1000

    with ThreadPoolExecutor(parallel) as pool:
        result.sign_in_ms = list(pool.map(sign_in, result.editors))


def summary_ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"p50 {statistics.median(values):.0f} ms"

"""The ``eenplan`` console script as the public contract describes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.db import make_engine
from app.models import Participant, Role
from app.services.ages import age_on

EENPLAN = str(Path(sys.executable).parent / "eenplan")


def _run(
    database_url: str, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EENPLAN_DATABASE_URL": database_url}
    return subprocess.run(
        [EENPLAN, *args], env=env, capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


def test_demo_json_describes_a_family_with_a_youth_of_14(database_url: str) -> None:
    result = _run(database_url, "demo", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"case_id", "youth_birth_date", "participants"}
    assert age_on(date.fromisoformat(data["youth_birth_date"]), date.today()) == 14
    roles = sorted((p["role"], p["gezag"]) for p in data["participants"])
    assert roles == sorted(
        [
            ("aanspreekpunt", False),
            ("jongere", False),
            ("ouder", True),
            ("ouder", True),
            ("specialist", False),
            ("netwerk", False),
        ]
    )
    for person in data["participants"]:
        expected = {"name", "role", "gezag", "email", "password"}
        if person["role"] in ("aanspreekpunt", "specialist"):
            expected.add("totp_secret")  # professionals sign in with a code from an app
        assert set(person) == expected
    engine = make_engine(database_url)
    with Session(engine) as session:
        places = session.exec(
            select(Participant).where(Participant.case_id == data["case_id"])
        ).all()
    engine.dispose()
    assert sorted(p.role for p in places) == sorted(Role(p["role"]) for p in data["participants"])


def test_each_demo_adds_a_case_with_new_people(database_url: str) -> None:
    first = json.loads(_run(database_url, "demo", "--json").stdout)
    second = json.loads(_run(database_url, "demo", "--json").stdout)
    assert first["case_id"] != second["case_id"]
    first_emails = {p["email"] for p in first["participants"]}
    second_emails = {p["email"] for p in second["participants"]}
    assert first_emails.isdisjoint(second_emails)


def test_demo_passwords_sign_in(database_url: str, settings) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app

    data = json.loads(_run(database_url, "demo", "--json").stdout)
    youth = next(p for p in data["participants"] if p["role"] == "jongere")
    with TestClient(
        create_app(settings), headers={"Origin": "http://testserver"}, follow_redirects=False
    ) as client:
        response = client.post(
            "/login", data={"email": youth["email"], "password": youth["password"]}
        )
        assert response.status_code == 303
        assert "Mijn plan" in client.get("/").text


def test_demo_if_empty_seeds_once_and_then_repeats_the_sign_in(
    database_url: str, tmp_path: Path
) -> None:
    first = _run(database_url, "demo", "--if-empty", cwd=tmp_path)
    assert "wachtwoord:" in first.stdout
    second = _run(database_url, "demo", "--if-empty", cwd=tmp_path)
    assert second.stdout.strip() == first.stdout.strip()
    assert oct((tmp_path / ".eenplan-demo.txt").stat().st_mode & 0o777) == "0o600"


def test_create_user_refuses_a_weak_password(database_url: str) -> None:
    weak = _run(
        database_url,
        "create-user",
        "--email",
        "a@voorbeeld.nl",
        "--name",
        "A",
        "--password",
        "kort",
    )
    assert weak.returncode == 2
    assert "minstens 10 tekens" in weak.stderr
    ok = _run(
        database_url,
        "create-user",
        "--email",
        "a@voorbeeld.nl",
        "--name",
        "A",
        "--password",
        "een-lang-wachtwoord",
    )
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("command", [["migrate"]])
def test_migrate_on_an_empty_sqlite_file_creates_the_schema(
    tmp_path: Path, command: list[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'nieuw.db'}"
    result = _run(url, *command)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "nieuw.db").stat().st_size > 0


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_ignores_x_forwarded_for_unless_the_proxy_is_trusted(tmp_path: Path) -> None:
    import time

    import httpx

    url = f"sqlite:///{tmp_path / 'serve.db'}"
    assert _run(url, "migrate").returncode == 0
    port = _free_port()
    env = {
        **os.environ,
        "EENPLAN_DATABASE_URL": url,
        "EENPLAN_ENVIRONMENT": "test",
        "EENPLAN_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "EENPLAN_LOGIN_MAX_ATTEMPTS_PER_IP": "5",
        "FORWARDED_ALLOW_IPS": "",
    }
    env.pop("FORWARDED_ALLOW_IPS")
    server = subprocess.Popen(
        [EENPLAN, "serve", "--port", str(port)], env=env, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        codes = [
            httpx.post(
                f"{base}/login",
                data={"email": f"raden{n}@voorbeeld.nl", "password": "fout-fout-fout"},
                headers={"Origin": base, "X-Forwarded-For": f"192.0.2.{n}"},
                timeout=10,
            ).status_code
            for n in range(7)
        ]
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert codes[:5] == [400] * 5
    assert codes[5:] == [429, 429]

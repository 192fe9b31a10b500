"""The ``eenplan`` console script as the public contract describes it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthz_of_served(port: int, env: dict[str, str]) -> httpx.Response:
    """Start ``eenplan serve`` on ``port``, answer its first /healthz, and stop it."""
    process = subprocess.Popen(
        [EENPLAN, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
def test_serve_does_not_say_which_server_software_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    assert _run(url, "migrate").returncode == 0
    port = _free_port()
    env = {**os.environ, "EENPLAN_DATABASE_URL": url, "EENPLAN_ENVIRONMENT": "test"}
    response = _healthz_of_served(port, env)
    assert response.status_code == 200
    assert "server" not in response.headers
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize(
    ("variable", "value"), [("EENPLAN_MAX_MESSAGE_BYTES", "-1"), ("EENPLAN_SESSION_DAYS", "abc")]
)
def test_a_bad_setting_stops_every_command_with_one_clear_line(
    tmp_path: Path, variable: str, value: str
) -> None:
    url = f"sqlite:///{tmp_path / 'nooit.db'}"
    env = {**os.environ, "EENPLAN_DATABASE_URL": url, variable: value}
    for command in (["migrate"], ["demo", "--json"], ["serve", "--port", "1"]):
        result = subprocess.run(
            [EENPLAN, *command], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 2, (command, result.stderr)
        assert "Traceback" not in result.stderr
        problems = [line for line in result.stderr.splitlines() if line.startswith("EENPLAN_")]
        assert problems and problems[0].startswith(f"{variable}={value}"), result.stderr
    assert not (tmp_path / "nooit.db").exists()


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
        [EENPLAN, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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


def test_create_user_professional_and_admin_mark_the_account(database_url: str) -> None:
    from app.services import accounts

    result = _run(
        database_url,
        "create-user",
        "--email",
        "pro@voorbeeld.nl",
        "--name",
        "Pro",
        "--password",
        "een-lang-wachtwoord",
        "--professional",
        "--admin",
    )
    assert result.returncode == 0, result.stderr
    assert "hulpverlener, beheerder" in result.stdout
    plain = _run(
        database_url,
        "create-user",
        "--email",
        "gewoon@voorbeeld.nl",
        "--name",
        "Gewoon",
        "--password",
        "een-lang-wachtwoord",
    )
    assert plain.returncode == 0, plain.stderr
    engine = make_engine(database_url)
    with Session(engine) as session:
        pro = accounts.find_user_by_email(session, "pro@voorbeeld.nl")
        gewoon = accounts.find_user_by_email(session, "gewoon@voorbeeld.nl")
        assert pro is not None and pro.is_professional and pro.is_admin
        assert gewoon is not None and not gewoon.is_professional and not gewoon.is_admin
    engine.dispose()
    taken = _run(database_url, "grant", "--email", "pro@voorbeeld.nl", "--no-professional")
    assert taken.returncode == 0, taken.stderr
    assert "(beheerder)" in taken.stdout
    unknown = _run(database_url, "grant", "--email", "niemand@voorbeeld.nl", "--admin")
    assert unknown.returncode == 2


def test_demo_professionals_sign_in_with_the_code_of_their_secret(
    database_url: str, settings
) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.services import two_factor

    data = json.loads(_run(database_url, "demo", "--json").stdout)
    wij = next(p for p in data["participants"] if p["role"] == "aanspreekpunt")
    with TestClient(
        create_app(settings), headers={"Origin": "http://testserver"}, follow_redirects=False
    ) as client:
        form = {"email": wij["email"], "password": wij["password"]}
        assert client.post("/login", data=form).status_code == 401
        code = two_factor.current_code(wij["totp_secret"])
        assert client.post("/login", data={**form, "code": code}).status_code == 303
        assert (
            client.post(
                "/cases", data={"label": "Nog een", "youth_birth_date": "2012-01-01"}
            ).status_code
            == 303
        )
        assert client.get("/beheer/accounts").status_code == 200


def test_totp_code_prints_the_current_code_in_development_only(database_url: str) -> None:
    from app.services import two_factor

    data = json.loads(_run(database_url, "demo", "--json").stdout)
    specialist = next(p for p in data["participants"] if p["role"] == "specialist")
    env = {**os.environ, "EENPLAN_DATABASE_URL": database_url, "EENPLAN_ENVIRONMENT": "development"}
    shown = subprocess.run(
        [EENPLAN, "totp-code", "--email", specialist["email"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    code = shown.stdout.strip()
    assert len(code) == 6 and code.isdigit()
    step = int(__import__("time").time() // 30)
    assert code in {two_factor.code_at(specialist["totp_secret"], s) for s in (step - 1, step)}
    env["EENPLAN_ENVIRONMENT"] = "test"
    refused = subprocess.run(
        [EENPLAN, "totp-code", "--email", specialist["email"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert "development" in refused.stderr
    assert refused.stdout == ""


def test_make_run_tells_how_to_get_a_code_for_the_demo_professionals(
    database_url: str, tmp_path: Path
) -> None:
    first = _run(database_url, "demo", "--if-empty", cwd=tmp_path)
    assert first.stdout.count("code: .venv/bin/eenplan totp-code --email") == 2
    assert "totp-code --email wij@demo.eenplan.nl" in first.stdout


def test_verify_log_reports_every_case_and_fails_on_a_break(database_url: str) -> None:
    from sqlalchemy import text

    from app.models import User
    from app.services import audit

    first = json.loads(_run(database_url, "demo", "--json").stdout)
    second = json.loads(_run(database_url, "demo", "--json").stdout)
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        youth_email = next(p for p in first["participants"] if p["role"] == "jongere")["email"]
        youth = session.exec(select(User).where(User.email == youth_email)).one()
        for _ in range(3):
            audit.record(
                session, case_id=first["case_id"], user=youth, action=audit.Action.case_viewed
            )
    engine.dispose()
    ok = _run(database_url, "verify-log")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # each demo adds its family and the family of the worklist (demo_worklist)
    assert ok.stdout.count("OK") == 4 and ok.stdout.count("Gezin Visser") == 2
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_entries SET detail = 'verzonnen' WHERE case_id = :c AND seq = 2"),
            {"c": first["case_id"]},
        )
    engine.dispose()
    broken = _run(database_url, "verify-log")
    assert broken.returncode == 1
    line = next(x for x in broken.stdout.splitlines() if first["case_id"] in x)
    assert "KAPOT" in line and "regel 2" in line
    assert any(second["case_id"] in x and x.startswith("OK") for x in broken.stdout.splitlines())


ROOT = Path(__file__).resolve().parent.parent


def _make_run_commands(*args: str, env_extra: dict[str, str] | None = None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "EENPLAN_PUBLIC_URL"}
    env.update(env_extra or {})
    dry = subprocess.run(
        ["make", "-n", "run", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return [line for line in dry.stdout.splitlines() if "eenplan demo" in line or "serve" in line]


def test_make_run_on_another_port_gives_that_port_to_links_and_the_banner() -> None:
    commands = _make_run_commands("PORT=8123")
    assert len(commands) == 2
    for line in commands:
        assert "EENPLAN_PUBLIC_URL=http://127.0.0.1:8123" in line, line
    assert "--port 8123" in commands[-1]


def test_make_run_keeps_a_public_url_that_was_set() -> None:
    commands = _make_run_commands(
        "PORT=8123", env_extra={"EENPLAN_PUBLIC_URL": "https://eenplan.example"}
    )
    for line in commands:
        assert "EENPLAN_PUBLIC_URL=https://eenplan.example" in line, line


def test_the_demo_banner_names_the_address_of_this_run(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "EENPLAN_DATABASE_URL": database_url}

    def demo(url: str) -> str:
        return subprocess.run(
            [EENPLAN, "demo", "--if-empty"],
            env={**env, "EENPLAN_PUBLIC_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            check=True,
        ).stdout

    assert "Open http://127.0.0.1:8123 " in demo("http://127.0.0.1:8123")
    again = demo("http://127.0.0.1:9000")
    assert "Open http://127.0.0.1:9000 " in again
    assert "8123" not in again


@pytest.mark.slow
def test_serve_on_another_port_uses_it_as_the_public_address(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    assert _run(url, "migrate").returncode == 0
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "EENPLAN_PUBLIC_URL"}
    env.update({"EENPLAN_DATABASE_URL": url, "EENPLAN_ENVIRONMENT": "test"})
    response = _healthz_of_served(port, env)
    # the address links are made with also names the editor's WebSocket in the CSP
    assert f"ws://127.0.0.1:{port}" in response.headers["content-security-policy"]

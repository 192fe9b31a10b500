"""The ``eenplan`` command: serve, migrate, demo, create-user."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from pydantic import ValidationError
from sqlmodel import Session

from app.db import make_engine
from app.migrate import upgrade_to_head
from app.services import accounts, demo
from app.services.errors import InvalidInput
from app.settings import get_settings, settings_problems

DEMO_ACCOUNTS_FILE = Path(".eenplan-demo.txt")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    print(f"eenplan draait op http://{args.host}:{args.port}  (stoppen: Ctrl+C)", flush=True)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        log_level="info" if settings.environment != "test" else "warning",
        proxy_headers=True,
        server_header=False,  # do not tell an attacker which server software (and version) runs
        ws_max_size=settings.max_message_bytes,
        # CRDT updates are small binary frames: compressing them saves almost nothing, costs
        # CPU on both sides and about 50 KB of memory per connection (docs/benchmarks.md).
        ws_per_message_deflate=False,
    )
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    settings = get_settings()
    upgrade_to_head(settings.database_url)
    print("Database is bijgewerkt.")
    return 0


def _sign_in_text(case: demo.DemoCase, public_url: str) -> str:
    lines = [f"Demo-gezin. Open {public_url} en log in met één van deze accounts:", ""]
    for person in case.people:
        gezag = " (gezag)" if person.gezag else ""
        lines.append(f"  {person.role:<14} {person.name}{gezag}")
        lines.append(f"                 e-mail: {person.email}   wachtwoord: {person.password}")
    return "\n".join(lines) + "\n"


def _demo(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        if args.if_empty and demo.case_count(session) > 0:
            if DEMO_ACCOUNTS_FILE.exists():
                print(DEMO_ACCOUNTS_FILE.read_text(encoding="utf-8"))
            else:
                print(
                    "Er staan al gegevens in de database. Een nieuw demo-gezin met "
                    "wachtwoorden maak je met: .venv/bin/eenplan demo"
                )
            return 0
        case = demo.seed_demo_case(session)
    engine.dispose()
    if args.json:
        print(json.dumps(case.as_json(), ensure_ascii=False))
        return 0
    text = _sign_in_text(case, settings.public_url)
    print(text)
    if args.if_empty:
        # make run prints this again next time, so the demo passwords are never lost
        DEMO_ACCOUNTS_FILE.write_text(text, encoding="utf-8")
        DEMO_ACCOUNTS_FILE.chmod(0o600)
    return 0


def _create_user(args: argparse.Namespace) -> int:
    settings = get_settings()
    password = args.password or getpass.getpass("Wachtwoord: ")
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        try:
            user = accounts.create_user(
                session, email=args.email, name=args.name, password=password
            )
        except InvalidInput as exc:
            for field, message in exc.field_errors.items():
                print(f"{field}: {message}", file=sys.stderr)
            return 2
        print(f"Account gemaakt voor {user.name} <{user.email}>.")
    engine.dispose()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eenplan", description="eenplan: één gedeeld plan.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start the web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=_serve)

    migrate = sub.add_parser("migrate", help="bring the database to the newest schema")
    migrate.set_defaults(func=_migrate)

    demo_cmd = sub.add_parser("demo", help="add one demo family case")
    demo_cmd.add_argument("--json", action="store_true", help="print the case as JSON")
    demo_cmd.add_argument(
        "--if-empty", action="store_true", help="only when the database has no case yet"
    )
    demo_cmd.set_defaults(func=_demo)

    create_user = sub.add_parser("create-user", help="create an account (e.g. a professional)")
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--name", required=True)
    create_user.add_argument("--password", help="asked for when left out")
    create_user.set_defaults(func=_create_user)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        get_settings()  # every command checks the settings first: one line per problem
    except ValidationError as exc:
        print("eenplan cannot start. Fix these settings:", file=sys.stderr)
        for line in settings_problems(exc):
            print(line, file=sys.stderr)
        return 2
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

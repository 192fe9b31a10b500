"""The ``eenplan`` command: serve, migrate, demo, create-user, grant, totp-code, verify-log."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from pydantic import ValidationError
from sqlmodel import Session

from app.db import make_engine
from app.migrate import upgrade_to_head
from app.models import User
from app.services import accounts, audit, demo, two_factor
from app.services.errors import InvalidInput, ServiceError
from app.settings import get_settings, settings_problems

DEMO_ACCOUNTS_FILE = Path(".eenplan-demo.txt")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn  # local import: only `eenplan serve` needs the server

    if not os.environ.get("EENPLAN_PUBLIC_URL"):
        # Links (invitations, shares, mails) name the address this server answers on.
        os.environ["EENPLAN_PUBLIC_URL"] = f"http://{args.host}:{args.port}"
        get_settings.cache_clear()
    settings = get_settings()
    print(f"eenplan draait op http://{args.host}:{args.port}  (stoppen: Ctrl+C)", flush=True)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        log_level="info" if settings.environment != "test" else "warning",
        # The app itself reads X-Forwarded-For, and only from EENPLAN_TRUSTED_PROXIES; uvicorn
        # would trust any client on loopback (its forwarded_allow_ips default).
        proxy_headers=False,
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


def _banner(public_url: str) -> str:
    return f"Demo-gezin. Open {public_url} en log in met één van deze accounts:"


def _accounts_text(case: demo.DemoCase) -> str:
    lines = [""]
    for person in case.people:
        gezag = " (gezag)" if person.gezag else ""
        admin = " (ook beheerder)" if person.is_admin else ""
        lines.append(f"  {person.role:<14} {person.name}{gezag}{admin}")
        lines.append(f"                 e-mail: {person.email}   wachtwoord: {person.password}")
        if person.totp_secret:
            lines.append(
                f"                 code: .venv/bin/eenplan totp-code --email {person.email}"
                f"   (of zet {person.totp_secret} in je app)"
            )
    lines += [
        "",
        "Hulpverleners loggen in met een code uit een app (tweestapsverificatie). In",
        "development toont `eenplan totp-code --email …` die code.",
    ]
    return "\n".join(lines) + "\n"


def _demo(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        if args.if_empty and demo.case_count(session) > 0:
            if DEMO_ACCOUNTS_FILE.exists():
                print(_banner(settings.public_url))
                print(_stored_accounts(DEMO_ACCOUNTS_FILE.read_text(encoding="utf-8")))
            else:
                print(
                    "Er staan al gegevens in de database. Een nieuw demo-gezin met "
                    "wachtwoorden maak je met: .venv/bin/eenplan demo"
                )
            return 0
        case = demo.seed_demo_case(session, settings, filled=args.filled)
    engine.dispose()
    if args.json:
        print(json.dumps(case.as_json(), ensure_ascii=False))
        return 0
    text = _accounts_text(case)
    print(_banner(settings.public_url))
    print(text)
    if args.if_empty:
        # make run prints this again next time (with the address of that run), so the demo
        # passwords are never lost
        DEMO_ACCOUNTS_FILE.write_text(text, encoding="utf-8")
        DEMO_ACCOUNTS_FILE.chmod(0o600)
    return 0


def _stored_accounts(text: str) -> str:
    """The accounts part of a stored demo text (files from before held the banner too)."""
    first, _, rest = text.partition("\n")
    return rest if first.startswith("Demo-gezin. Open ") else text


def _create_user(args: argparse.Namespace) -> int:
    settings = get_settings()
    password = args.password or getpass.getpass("Wachtwoord: ")
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        try:
            user = accounts.create_user(
                session,
                email=args.email,
                name=args.name,
                password=password,
                is_professional=args.professional,
                is_admin=args.admin,
            )
        except InvalidInput as exc:
            for field, message in exc.field_errors.items():
                print(f"{field}: {message}", file=sys.stderr)
            return 2
        print(f"Account gemaakt voor {user.name} <{user.email}>{_properties(user)}.")
    engine.dispose()
    return 0


def _properties(user: User) -> str:
    labels = [
        label
        for label, on in (("hulpverlener", user.is_professional), ("beheerder", user.is_admin))
        if on
    ]
    return f" ({', '.join(labels)})" if labels else ""


def _grant(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        try:
            user = accounts.grant(
                session, email=args.email, professional=args.professional, admin=args.admin
            )
        except ServiceError as exc:
            print(exc.message, file=sys.stderr)
            return 2
        print(f"{user.name} <{user.email}>{_properties(user) or ' (geen bijzondere rechten)'}.")
    engine.dispose()
    return 0


def _totp_code(args: argparse.Namespace) -> int:
    settings = get_settings()
    if settings.environment != "development":
        print(
            "totp-code werkt alleen met EENPLAN_ENVIRONMENT=development (voor demo-accounts).",
            file=sys.stderr,
        )
        return 2
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        user = accounts.find_user_by_email(session, args.email)
        secret = (
            two_factor.secret_of(session, user=user, settings=settings)
            if user is not None and user.uses_two_factor
            else None
        )
    engine.dispose()
    if secret is None:
        print(f"{args.email} logt niet in met een code.", file=sys.stderr)
        return 2
    print(two_factor.current_code(secret))
    return 0


def _verify_log(_args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    broken = 0
    with Session(engine) as session:
        for case_id, label in audit.all_cases(session):
            check = audit.verify_chain(session, case_id=case_id)
            if check.ok:
                print(f"OK      {case_id}  {label}  ({check.checked} regels)")
            else:
                broken += 1
                print(
                    f"KAPOT   {case_id}  {label}  bij regel {check.broken_at_seq}: {check.problem}"
                )
    engine.dispose()
    if broken:
        print(f"{broken} logboek(en) kloppen niet.", file=sys.stderr)
        return 1
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
    demo_cmd.add_argument(
        "--filled",
        action="store_true",
        help="with a filled-in analysis, plan, perspective, stories and two versions",
    )

    demo_cmd.set_defaults(func=_demo)

    create_user = sub.add_parser("create-user", help="create an account (e.g. a professional)")
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--name", required=True)
    create_user.add_argument("--password", help="asked for when left out")
    create_user.add_argument(
        "--professional", action="store_true", help="may create cases (a hulpverlener)"
    )
    create_user.add_argument(
        "--admin", action="store_true", help="organisation administrator (admin page)"
    )
    create_user.set_defaults(func=_create_user)

    grant = sub.add_parser("grant", help="give or take professional/administrator")
    grant.add_argument("--email", required=True)
    grant.add_argument("--professional", action=argparse.BooleanOptionalAction, default=None)
    grant.add_argument("--admin", action=argparse.BooleanOptionalAction, default=None)
    grant.set_defaults(func=_grant)

    totp = sub.add_parser("totp-code", help="current sign-in code of an account (development)")
    totp.add_argument("--email", required=True)
    totp.set_defaults(func=_totp_code)

    verify = sub.add_parser("verify-log", help="check the access log chain of every case")
    verify.set_defaults(func=_verify_log)
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

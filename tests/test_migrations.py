"""The schema is made by migrations only, and the models agree with it."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from app.migrate import upgrade_to_head


def test_migrations_bring_an_empty_sqlite_database_to_the_models(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade_to_head(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_migrated_database_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert {"users", "cases", "participants", "invitations", "document_updates"} <= tables


def test_migrating_twice_changes_nothing(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    upgrade_to_head(url)
    upgrade_to_head(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        version = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    assert version is not None


def _at_0006(tmp_path) -> str:  # type: ignore[no-untyped-def]
    from alembic import command

    from app.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0006")
    return url


def test_migration_0007_makes_active_professionals_and_case_less_accounts_professional(
    tmp_path,
) -> None:
    from datetime import UTC, date, datetime

    import sqlalchemy as sa
    import sqlmodel

    url = _at_0006(tmp_path)
    users = sa.table(
        "users",
        sa.column("id"),
        sa.column("email"),
        sa.column("name"),
        sa.column("password_hash"),
        sa.column("is_active"),
        sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    places = sa.table(
        "participants",
        sa.column("case_id"),
        sa.column("user_id"),
        sa.column("role"),
        sa.column("gezag"),
        sa.column("safety_closed"),
        sa.column("active_from", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("active_to", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    cases = sa.table(
        "cases",
        sa.column("id"),
        sa.column("label"),
        sa.column("youth_birth_date"),
        sa.column("created_by_id"),
        sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    now = datetime.now(UTC)
    names = ["wij", "oma_weg", "zonder_casus", "moeder", "specialist_weg", "specialist"]
    engine = create_engine(url)
    with engine.begin() as conn:
        for n, name in enumerate(names, start=1):
            conn.execute(
                sa.insert(users).values(
                    id=n,
                    email=f"{name}@voorbeeld.nl",
                    name=name,
                    password_hash="x",
                    is_active=True,
                    created_at=now,
                )
            )
        conn.execute(
            sa.insert(cases).values(
                id="c1",
                label="Gezin",
                youth_birth_date=date(2012, 1, 1),
                created_by_id=1,
                created_at=now,
            )
        )
        for user_id, role, active_to in [
            (1, "aanspreekpunt", None),
            (2, "netwerk", now),
            (4, "ouder", None),
            (5, "specialist", now),
            (6, "specialist", None),
        ]:
            conn.execute(
                sa.insert(places).values(
                    case_id="c1",
                    user_id=user_id,
                    role=role,
                    gezag=False,
                    safety_closed=False,
                    active_from=now,
                    active_to=active_to,
                )
            )
    engine.dispose()
    upgrade_to_head(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT name, is_professional FROM users")).all())
    engine.dispose()
    assert {name for name, pro in rows.items() if pro} == {"wij", "zonder_casus", "specialist"}


def test_migration_0008_re_anchors_each_chain_with_the_key_and_says_so(tmp_path) -> None:
    import hashlib
    from datetime import UTC, date, datetime

    import sqlalchemy as sa
    from sqlmodel import Session

    from app.models import AuditEntry
    from app.services import audit

    url = _at_0006(tmp_path)
    engine = create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, is_active, created_at) "
                "VALUES (1, 'a@voorbeeld.nl', 'A', 'x', 1, '2026-01-01 00:00:00')"
            )
        )
        for case_id in ("heel", "kapot"):
            conn.execute(
                sa.text(
                    "INSERT INTO cases (id, label, youth_birth_date, created_by_id, created_at, "
                    "audit_seq) VALUES (:id, :id, :d, 1, '2026-01-01 00:00:00', 3)"
                ),
                {"id": case_id, "d": date(2012, 1, 1)},
            )
            previous = audit.GENESIS_HASH
            for seq in (1, 2, 3):
                entry = AuditEntry(
                    case_id=case_id,
                    seq=seq,
                    occurred_at=now,
                    user_id=1,
                    actor_name="A",
                    actor_role="aanspreekpunt",
                    action="case_viewed",
                    detail="",
                    prev_hash=previous,
                    entry_hash="",
                )
                entry.entry_hash = hashlib.sha256(
                    (previous + audit.canonical_content(entry)).encode()
                ).hexdigest()
                if case_id == "kapot" and seq == 2:
                    entry.detail = "later veranderd"
                previous = entry.entry_hash
                conn.execute(sa.insert(AuditEntry).values(**entry.model_dump(exclude={"id"})))
    engine.dispose()
    upgrade_to_head(url)
    engine = create_engine(url)
    with Session(engine) as session:
        for case_id, said in [
            ("heel", "De oude keten klopte (3 regels)."),
            ("kapot", "de oude keten klopte niet vanaf regel 2"),
        ]:
            check = audit.verify_chain(session, case_id=case_id)
            assert check.ok and check.checked == 4
            newest = audit.entries(session, case_id=case_id, limit=1)[0]
            assert newest.action == audit.Action.chain_reanchored
            assert said in newest.detail
    engine.dispose()


def test_migration_0012_seals_every_two_factor_secret_and_drops_the_plain_column(
    tmp_path,
) -> None:
    import sqlalchemy as sa
    from alembic import command

    from app import sealing
    from app.migrate import alembic_config
    from app.settings import get_settings

    url = f"sqlite:///{tmp_path / 'plain.db'}"
    command.upgrade(alembic_config(url), "0011")
    plain = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    engine = create_engine(url)
    with engine.begin() as conn:
        for user_id, secret in [(1, plain), (2, None)]:
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, email, name, password_hash, is_active, created_at, "
                    "is_professional, is_admin, totp_secret) VALUES (:id, :email, 'A', 'x', 1, "
                    "'2026-01-01 00:00:00', 1, 0, :secret)"
                ),
                {"id": user_id, "email": f"a{user_id}@voorbeeld.nl", "secret": secret},
            )
    engine.dispose()
    upgrade_to_head(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        columns = {column["name"] for column in inspect(conn).get_columns("users")}
        rows = dict(conn.execute(sa.text("SELECT id, totp_secret_sealed FROM users")).all())
    engine.dispose()
    assert "totp_secret" not in columns
    assert rows[2] is None and plain not in rows[1]
    opened = sealing.open_sealed(
        rows[1], secrets=[get_settings().secret_key], purpose="totp", owner="user:1"
    )
    assert opened.value == plain
    command.downgrade(alembic_config(url), "0011")
    engine = create_engine(url)
    with engine.connect() as conn:
        back = dict(conn.execute(sa.text("SELECT id, totp_secret FROM users")).all())
    engine.dispose()
    assert back == {1: plain, 2: None}


def test_migration_0013_ends_all_but_the_oldest_active_place_of_a_person_in_a_case(
    tmp_path,
) -> None:
    import sqlalchemy as sa
    from alembic import command

    from app.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'doubles.db'}"
    command.upgrade(alembic_config(url), "0012")
    engine = create_engine(url)
    with engine.begin() as conn:
        for user_id in (1, 2):
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, email, name, password_hash, is_active, created_at, "
                    "is_professional, is_admin) VALUES (:id, :email, 'A', 'x', 1, "
                    "'2026-01-01 00:00:00', 0, 0)"
                ),
                {"id": user_id, "email": f"a{user_id}@voorbeeld.nl"},
            )
        for case_id in ("c1", "c2"):
            conn.execute(
                sa.text(
                    "INSERT INTO cases (id, label, youth_birth_date, created_by_id, created_at, "
                    "audit_seq) VALUES (:id, 'Gezin', '2012-01-01', 1, '2026-01-01 00:00:00', 0)"
                ),
                {"id": case_id},
            )
        # (id, case, person, active_from, active_to): person 1 accepted one invitation three
        # times at once in c1; person 2 was removed once from c1 and is in c1 and c2 again
        for place_id, case_id, user_id, since, until in [
            (1, "c1", 1, "2026-01-01 10:00:00.000002", None),
            (2, "c1", 1, "2026-01-01 10:00:00.000001", None),
            (3, "c1", 1, "2026-01-01 10:00:00.000003", None),
            (4, "c1", 2, "2025-01-01 10:00:00", "2025-06-01 10:00:00"),
            (5, "c1", 2, "2026-01-01 10:00:00", None),
            (6, "c2", 2, "2026-01-01 10:00:00", None),
        ]:
            conn.execute(
                sa.text(
                    "INSERT INTO participants (id, case_id, user_id, role, gezag, "
                    "safety_closed, active_from, active_to) VALUES (:id, :case_id, :user_id, "
                    "'netwerk', 0, 0, :since, :until)"
                ),
                {
                    "id": place_id,
                    "case_id": case_id,
                    "user_id": user_id,
                    "since": since,
                    "until": until,
                },
            )
    engine.dispose()
    upgrade_to_head(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        active = (
            conn.execute(sa.text("SELECT id FROM participants WHERE active_to IS NULL ORDER BY id"))
            .scalars()
            .all()
        )
        still_removed = conn.execute(
            sa.text("SELECT active_to FROM participants WHERE id = 4")
        ).scalar()
    engine.dispose()
    assert active == [2, 5, 6]  # the oldest place of person 1 in c1 stays; the others end
    assert str(still_removed).startswith("2025-06-01")
    engine = create_engine(url)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO participants (case_id, user_id, role, gezag, safety_closed, "
                "active_from) VALUES ('c1', 1, 'netwerk', 0, 0, '2026-02-01 10:00:00')"
            )
        )
    engine.dispose()

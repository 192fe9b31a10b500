"""access log: re-anchor every chain with HMAC-SHA256 keyed by EENPLAN_SECRET_KEY

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 01:10:00

Until now each entry hash was an unkeyed sha256, so anyone with write access to the database
could rebuild a chain. This migration first checks each case's chain the old way, then
recomputes every hash with the key derived from ``EENPLAN_SECRET_KEY`` (read from the
environment now: run the migration with the production secret set), and appends one entry
per case, "keten opnieuw verankerd", saying whether the old chain was intact. A break found
before re-anchoring is recorded there, never silently healed.

With the development placeholder secret the chains are keyed with a value everyone knows:
fine for a development database, worthless for real data. In production the settings refuse
the placeholder, so the migration stops before changing anything. The hash functions are
copied here on purpose, so later changes to ``app.services.audit`` do not change this step.
"""

import hashlib
import hmac
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

from app.settings import PLACEHOLDER_SECRET, get_settings

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64

entries_table = sa.table(
    'audit_entries',
    sa.column('id', sa.Integer()),
    sa.column('case_id', sa.String()),
    sa.column('seq', sa.Integer()),
    sa.column('occurred_at', sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column('user_id', sa.Integer()),
    sa.column('actor_name', sa.String()),
    sa.column('actor_role', sa.String()),
    sa.column('actor_organisation', sa.String()),
    sa.column('action', sa.String()),
    sa.column('subject', sa.String()),
    sa.column('ground', sa.String()),
    sa.column('detail', sa.Text()),
    sa.column('prev_hash', sa.String()),
    sa.column('entry_hash', sa.String()),
)
cases_table = sa.table('cases', sa.column('id', sa.String()), sa.column('audit_seq', sa.Integer()))


def _canonical(row: dict) -> str:
    return json.dumps(
        {
            "case_id": row["case_id"],
            "seq": row["seq"],
            "occurred_at": row["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds"),
            "user_id": row["user_id"],
            "actor_name": row["actor_name"],
            "actor_role": row["actor_role"],
            "actor_organisation": row["actor_organisation"],
            "action": row["action"],
            "subject": row["subject"],
            "ground": row["ground"],
            "detail": row["detail"],
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def _old_hash(prev_hash: str, row: dict) -> str:
    return hashlib.sha256((prev_hash + _canonical(row)).encode()).hexdigest()


def _new_hash(key: bytes, prev_hash: str, row: dict) -> str:
    return hmac.new(key, (prev_hash + _canonical(row)).encode(), hashlib.sha256).hexdigest()


def _old_break(rows: list[dict]) -> int | None:
    """The seq where the old unkeyed chain breaks, or None when it was intact."""
    previous = GENESIS_HASH
    for expected_seq, row in enumerate(rows, start=1):
        if row["seq"] != expected_seq or row["prev_hash"] != previous:
            return expected_seq
        if _old_hash(previous, row) != row["entry_hash"]:
            return row["seq"]
        previous = row["entry_hash"]
    return None


def upgrade() -> None:
    bind = op.get_bind()
    case_ids = [r[0] for r in bind.execute(sa.select(entries_table.c.case_id).distinct())]
    if not case_ids:
        return
    secret = get_settings().secret_key  # refuses the placeholder in production
    if secret == PLACEHOLDER_SECRET:
        print(
            "eenplan 0008: the access log is keyed with the development placeholder secret. "
            "Fine for development; real data needs EENPLAN_SECRET_KEY.",
            file=sys.stderr,
        )
    key = hmac.new(secret.encode(), b"eenplan:audit-log-chain", hashlib.sha256).digest()
    now = datetime.now(UTC)
    for case_id in case_ids:
        rows = [
            dict(r._mapping)
            for r in bind.execute(
                sa.select(entries_table)
                .where(entries_table.c.case_id == case_id)
                .order_by(entries_table.c.seq)
            )
        ]
        broken_at = _old_break(rows)
        kept_seq = bind.execute(
            sa.select(cases_table.c.audit_seq).where(cases_table.c.id == case_id)
        ).scalar() or 0
        if broken_at is None and rows and kept_seq > rows[-1]["seq"]:
            broken_at = rows[-1]["seq"] + 1  # the newest entries had been removed
        previous = GENESIS_HASH
        for row in rows:
            new_hash = _new_hash(key, previous, row)
            bind.execute(
                sa.update(entries_table)
                .where(entries_table.c.id == row["id"])
                .values(prev_hash=previous, entry_hash=new_hash)
            )
            previous = new_hash
        if broken_at is None:
            detail = (
                f"De keten is opnieuw verankerd met een geheime sleutel. De oude keten klopte "
                f"({len(rows)} regels)."
            )
        else:
            detail = (
                f"De keten is opnieuw verankerd met een geheime sleutel. Let op: de oude keten "
                f"klopte niet vanaf regel {broken_at}."
            )
        if secret == PLACEHOLDER_SECRET:
            detail += " Gedaan met de ontwikkelsleutel: niet geschikt voor echte gegevens."
        anchor = {
            "case_id": case_id,
            "seq": (rows[-1]["seq"] if rows else 0) + 1,
            "occurred_at": now,
            "user_id": None,
            "actor_name": "eenplan",
            "actor_role": "systeem",
            "actor_organisation": None,
            "action": "chain_reanchored",
            "subject": None,
            "ground": None,
            "detail": detail,
            "prev_hash": previous,
        }
        anchor["entry_hash"] = _new_hash(key, previous, anchor)
        bind.execute(sa.insert(entries_table).values(**anchor))
        bind.execute(
            sa.update(cases_table).where(cases_table.c.id == case_id).values(audit_seq=anchor["seq"])
        )


def downgrade() -> None:
    # The unkeyed hashes are not restored: going back would weaken the log again.
    pass

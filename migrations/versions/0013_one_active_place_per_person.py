"""participants: at most one active place per person per case

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 08:00:00

Until now nothing stopped the same invitation from being accepted several times at the same
moment (a double click, several tabs), and each accept added a place. Removing that person then
ended one place and left the others active: they kept their access.

This migration first ends the extra places: of every person with more than one active place in
a case it keeps the oldest (earliest ``active_from``, then lowest id) and sets ``active_to`` of
the others to now, as a removal would. Those rows stay, as every removed place does, with the
story documents they own. Then it adds a partial unique index on ``(case_id, user_id)`` over
the active places (``active_to IS NULL``), so the database refuses a second one from now on.
Downgrading drops the index; the places it ended stay ended.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_participants_one_active_place"
ACTIVE_PLACE = "active_to IS NULL"
places = sa.table(
    "participants",
    sa.column("id", sa.Integer()),
    sa.column("case_id", sa.String()),
    sa.column("user_id", sa.Integer()),
    sa.column("active_from", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("active_to", sqlmodel.sql.sqltypes.UTCDateTime()),
)


def _extra_active_places(bind: sa.Connection) -> list[int]:
    """Ids of every active place but the oldest of the same person in the same case."""
    rows = bind.execute(
        sa.select(places.c.id, places.c.case_id, places.c.user_id)
        .where(places.c.active_to.is_(None))
        .order_by(places.c.case_id, places.c.user_id, places.c.active_from, places.c.id)
    ).all()
    seen: set[tuple[str, int]] = set()
    extra = []
    for place_id, case_id, user_id in rows:
        if (case_id, user_id) in seen:
            extra.append(place_id)
        seen.add((case_id, user_id))
    return extra


def upgrade() -> None:
    bind = op.get_bind()
    extra = _extra_active_places(bind)
    if extra:
        bind.execute(
            sa.update(places).where(places.c.id.in_(extra)).values(active_to=datetime.now(UTC))
        )
    op.create_index(
        INDEX,
        "participants",
        ["case_id", "user_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_PLACE),
        postgresql_where=sa.text(ACTIVE_PLACE),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="participants")

"""share scope: the parts a share link shows

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Existing links keep showing what they showed: every part of their audience (until now only
# school links could be made).
EXISTING_SCOPE = {
    "school": ["school_doelen", "school_acties", "perspectief_school_werk"],
    "netwerk": ["plan", "perspectief"],
}


def upgrade() -> None:
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.JSON(), nullable=False, server_default='[]'))
    shares = sa.table('shares', sa.column('audience', sa.String()), sa.column('scope', sa.JSON()))
    for audience, parts in EXISTING_SCOPE.items():
        op.execute(
            shares.update().where(shares.c.audience == audience).values(scope=parts)
        )


def downgrade() -> None:
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.drop_column('scope')

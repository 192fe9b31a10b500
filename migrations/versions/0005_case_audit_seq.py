"""case audit seq

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 19:34:13.104283
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_seq', sa.Integer(), server_default='0', nullable=False))
    # cases that already have a log: remember the number of their newest entry
    op.execute(
        "UPDATE cases SET audit_seq = (SELECT COALESCE(MAX(seq), 0) FROM audit_entries "
        "WHERE audit_entries.case_id = cases.id)"
    )



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('audit_seq')


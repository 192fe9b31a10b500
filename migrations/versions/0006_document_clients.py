"""document clients: the account behind each Yjs client id of a document

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'document_clients',
        sa.Column('document_id', sa.String(length=32), nullable=False),
        sa.Column('client_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('document_id', 'client_id'),
    )


def downgrade() -> None:
    op.drop_table('document_clients')

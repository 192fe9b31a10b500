"""history that never loses work, what each person last saw, and own stories' readers

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:00:00

- ``document_checkpoints``: automatic versions of a document (after an editing session, during
  a long one, before every restore), each a pointer into the append-only update log.
- ``document_seen``: per person and document, the newest update when they last opened it
  ("nieuw sinds je laatste bezoek").
- ``documents.story_readers`` and ``documents.helper_writes``: who may read an own story, and
  whether the aanspreekpunt may write in it on the owner's behalf. Existing stories get the
  default (professionals, the youth and parents with gezag; the aanspreekpunt may write), which
  closes them to the network and to parents without gezag until their owner opens them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'document_checkpoints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.String(length=32), nullable=False),
        sa.Column('document_id', sa.String(length=32), nullable=False),
        sa.Column('upto_update_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('made_by_user_id', sa.Integer(), nullable=True),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id']),
        sa.ForeignKeyConstraint(['made_by_user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('document_checkpoints', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_document_checkpoints_case_id'), ['case_id'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_document_checkpoints_document_id'), ['document_id'], unique=False
        )
    op.create_table(
        'document_seen',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.String(length=32), nullable=False),
        sa.Column('upto_update_id', sa.Integer(), nullable=False),
        sa.Column('seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('user_id', 'document_id'),
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('story_readers', sa.String(length=20), server_default='default', nullable=False)
        )
        batch_op.add_column(
            sa.Column('helper_writes', sa.Boolean(), server_default='1', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('helper_writes')
        batch_op.drop_column('story_readers')
    op.drop_table('document_seen')
    with op.batch_alter_table('document_checkpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_checkpoints_document_id'))
        batch_op.drop_index(batch_op.f('ix_document_checkpoints_case_id'))
    op.drop_table('document_checkpoints')

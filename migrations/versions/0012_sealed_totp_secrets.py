"""users: two-factor secrets sealed (AES-256-GCM under a key from EENPLAN_SECRET_KEY)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 07:10:00

Until now a TOTP secret was stored as plain base32, so a copy of the database gave everyone's
second factor. This migration seals every existing secret with the key derived from
``EENPLAN_SECRET_KEY`` (read from the environment now: run the migration with the production
secret set), bound to its account, and drops the plain column (with SQLite's own
``DROP COLUMN``: a batch copy of ``users`` would trip the foreign keys that point at it). The
sealing is copied here on purpose (the same format as ``app.sealing``, version ``v1.``), so
later changes there do not change this step. With the development placeholder secret the seal
protects nothing: fine for a development database; the settings refuse the placeholder in
production.
"""

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.settings import get_settings

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PURPOSE = "totp"
users_table = sa.table(
    "users",
    sa.column("id", sa.Integer()),
    sa.column("totp_secret", sa.String()),
    sa.column("totp_secret_sealed", sa.String()),
)


def _cipher(secret: str) -> AESGCM:
    key = hmac.new(secret.encode(), f"eenplan:sealed:{PURPOSE}".encode(), hashlib.sha256).digest()
    return AESGCM(key)


def _associated(user_id: int) -> bytes:
    return f"eenplan:{PURPOSE}:user:{user_id}".encode()


def _seal(secret: str, user_id: int, value: str) -> str:
    nonce = os.urandom(12)
    sealed = _cipher(secret).encrypt(nonce, value.encode(), _associated(user_id))
    return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def _open(secret: str, user_id: int, sealed: str) -> str:
    raw = base64.urlsafe_b64decode(sealed.removeprefix("v1.").encode("ascii"))
    return _cipher(secret).decrypt(raw[:12], raw[12:], _associated(user_id)).decode()


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column(
            "totp_secret_sealed", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(users_table.c.id, users_table.c.totp_secret).where(
            users_table.c.totp_secret.is_not(None)
        )
    ).all()
    if rows:
        secret = get_settings().secret_key  # refuses the placeholder in production
        for user_id, plain in rows:
            bind.execute(
                sa.update(users_table)
                .where(users_table.c.id == user_id)
                .values(totp_secret_sealed=_seal(secret, user_id, plain))
            )
    op.drop_column("users", "totp_secret")


def downgrade() -> None:
    op.add_column(
        "users",
        sa.Column("totp_secret", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(users_table.c.id, users_table.c.totp_secret_sealed).where(
            users_table.c.totp_secret_sealed.is_not(None)
        )
    ).all()
    if rows:
        secret = get_settings().secret_key
        for user_id, sealed in rows:
            bind.execute(
                sa.update(users_table)
                .where(users_table.c.id == user_id)
                .values(totp_secret=_open(secret, user_id, sealed))
            )
    op.drop_column("users", "totp_secret_sealed")

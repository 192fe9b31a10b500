"""Configuration, read from the environment (prefix ``EENPLAN_``).

Every field is documented in README.md; ``tests/test_docs.py`` fails when one is missing.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "dev-only-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EENPLAN_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development",
        description="development, test or production. Production refuses a placeholder secret.",
    )
    database_url: str = Field(
        default="sqlite:///./eenplan.db",
        description="SQLAlchemy URL. SQLite (default, one node) or postgresql+psycopg://…",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL for several nodes (updates, presence, revocations). "
        "Unset: one node.",
    )
    secret_key: str = Field(
        default=PLACEHOLDER_SECRET,
        description="Secret for signing. At least 32 characters outside development.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Address people use to reach eenplan; used in invitation and share links "
        "and for the Origin check. https:// makes cookies Secure.",
    )
    session_days: int = Field(default=14, description="How long a sign-in stays valid, in days.")
    invitation_days: int = Field(
        default=7, description="How long an invitation link works, in days."
    )
    login_max_attempts: int = Field(
        default=5, description="Failed sign-ins per e-mail address and per IP within the window."
    )
    login_window_seconds: int = Field(
        default=900, description="Window for counting failed sign-ins, in seconds."
    )
    max_message_bytes: int = Field(
        default=1024 * 1024, description="Largest WebSocket message accepted; larger closes 1009."
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and (
            self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "EENPLAN_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        return self

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()

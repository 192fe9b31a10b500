"""Configuration, read from the environment (prefix ``EENPLAN_``).

Every field is documented in README.md; ``tests/test_settings.py`` fails when one is missing.
Every number has bounds on its Field (``ge=…, le=…``; a test fails without them), and the
settings are checked when a command starts: ``settings_problems`` turns the refusal into one
clear line per problem.
"""

from __future__ import annotations

from email.utils import parseaddr
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "dev-only-change-me"


def _items(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


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
    previous_secret_keys: str = Field(
        default="",
        description="Comma-separated earlier values of EENPLAN_SECRET_KEY, newest first, after "
        "a change: sealed two-factor secrets and older access-log entries still open and verify.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Address people use to reach eenplan; used in invitation and share links "
        "and for the Origin check. https:// makes cookies Secure.",
    )
    session_days: int = Field(
        default=14, ge=1, le=365, description="How long a sign-in stays valid, in days."
    )
    invitation_days: int = Field(
        default=7, ge=1, le=90, description="How long an invitation link works, in days."
    )
    login_max_attempts: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Password (or code) tries per account from one address before each "
        "further try has to wait.",
    )
    login_max_attempts_per_ip: int = Field(
        default=50,
        ge=1,
        le=100_000,
        description="Password tries from one address, over all accounts.",
    )
    login_window_seconds: int = Field(
        default=900,
        ge=1,
        le=86400,
        description="Quiet time after which misses are forgotten; also the longest wait.",
    )
    login_delay_seconds: int = Field(
        default=30,
        ge=1,
        le=86400,
        description="First wait after too many misses; doubles with every further miss.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks of reverse proxies whose "
        "X-Forwarded-For names the client. Empty: the peer address is the client.",
    )
    require_2fa_for: str = Field(
        default="aanspreekpunt,specialist",
        description="Roles whose accounts must sign in with a second factor (TOTP).",
    )
    max_message_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="Largest WebSocket message accepted; larger closes 1009.",
    )
    max_connections_per_user: int = Field(
        default=40,
        ge=1,
        le=10_000,
        description="Open document sockets one account may have on one node; more are "
        "refused with 4430. An editor page opens one to three.",
    )
    max_messages_per_second: float = Field(
        default=60.0,
        ge=1.0,
        le=100_000.0,
        description="Messages one socket may send per second on average (bursts of five "
        "seconds' worth); more closes it with 4429.",
    )
    max_awareness_bytes: int = Field(
        default=8 * 1024,
        ge=256,
        le=1024 * 1024,
        description="Largest presence (awareness) message; larger closes the socket with 4413.",
    )
    max_document_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=64 * 1024,
        le=1024 * 1024 * 1024,
        description="Largest stored state of one document; an update that would grow it "
        "further is refused with 4507.",
    )

    smtp_url: str | None = Field(
        default=None,
        description="Mail server: smtp://host:port or smtps://user:password@host:port. "
        "Unset: mails stay in the outbox (printed on the console in development).",
    )
    mail_from: str | None = Field(
        default=None,
        description="Sender of eenplan's mails, e.g. 'eenplan <noreply@eenplan.nl>'. "
        "Unset: noreply@ the host of EENPLAN_PUBLIC_URL.",
    )
    schedule_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="How often each node looks whether scheduled work (reminders, the daily "
        "digest, clean-up) is due.",
    )
    daily_hour: int = Field(
        default=7,
        ge=0,
        le=23,
        description="Hour of the day (Dutch time) from which the daily reminders and digest go.",
    )

    @field_validator("public_url")
    @classmethod
    def _public_url_is_a_web_address(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// address, e.g. https://eenplan.nl.")
        return value

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

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_is_a_mail_server(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("must look like smtp://host:port or smtps://user:password@host:port.")
        try:
            parts.port  # noqa: B018 - reading it checks it
        except ValueError:
            raise ValueError("has a port that is not a number from 1 to 65535.") from None
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from_is_an_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        _name, address = parseaddr(value)
        if "@" not in address or "\n" in value or "\r" in value:
            raise ValueError("must be an e-mail address, e.g. 'eenplan <noreply@eenplan.nl>'.")
        return value.strip()

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: str) -> str:
        for part in _items(value):
            try:
                ip_network(part, strict=False)
            except ValueError:
                raise ValueError(
                    f"EENPLAN_TRUSTED_PROXIES: {part!r} is not an IP address or network"
                ) from None
        return value

    @field_validator("require_2fa_for")
    @classmethod
    def _known_roles(cls, value: str) -> str:
        known = {"jongere", "ouder", "aanspreekpunt", "specialist", "netwerk"}
        unknown = [role for role in _items(value) if role not in known]
        if unknown:
            raise ValueError(
                f"EENPLAN_REQUIRE_2FA_FOR: unknown role(s) {', '.join(unknown)}; "
                f"choose from {', '.join(sorted(known))}"
            )
        return value

    @property
    def trusted_proxy_networks(self) -> list[IPv4Network | IPv6Network]:
        return [ip_network(part, strict=False) for part in _items(self.trusted_proxies)]

    @property
    def two_factor_roles(self) -> frozenset[str]:
        return frozenset(_items(self.require_2fa_for))

    @property
    def secret_keys(self) -> list[str]:
        """The current secret first, then the earlier ones (for opening and verifying only)."""
        earlier = [key for key in _items(self.previous_secret_keys) if key != self.secret_key]
        return [self.secret_key, *earlier]

    @property
    def mail_sender(self) -> str:
        """The From of every mail."""
        host = urlsplit(self.public_url).hostname or "localhost"
        return self.mail_from or f"eenplan <noreply@{host}>"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


@lru_cache
def get_settings() -> Settings:
    return Settings()


def _problem_text(error: dict[str, object]) -> str:
    context = error.get("ctx")
    bounds = context if isinstance(context, dict) else {}
    kind = error.get("type")
    if kind == "greater_than_equal":
        return f"must be at least {bounds['ge']}."
    if kind == "less_than_equal":
        return f"must be at most {bounds['le']}."
    if kind == "int_parsing":
        return "must be a whole number."
    if kind == "literal_error":
        return f"must be one of {bounds.get('expected', '')}."
    return str(error.get("msg", "is not valid.")).removeprefix("Value error, ")


def settings_problems(error: ValidationError) -> list[str]:
    """One line per problem, naming the environment variable and the value it was given:
    ``EENPLAN_MAX_MESSAGE_BYTES=-1: must be at least 1024.``"""
    lines = []
    for problem in error.errors():
        loc = problem.get("loc") or ()
        if not loc:  # a check across settings; its message names the variable itself
            lines.append(_problem_text(dict(problem)))
            continue
        name = str(loc[0])
        shown = "(hidden)" if _may_hold_a_secret(name) else problem.get("input")
        lines.append(f"EENPLAN_{name.upper()}={shown}: {_problem_text(dict(problem))}")
    return lines


def _may_hold_a_secret(name: str) -> bool:
    """Keys, passwords and service URLs (which can carry a password) are never printed."""
    if any(word in name for word in ("secret", "password", "token", "key")):
        return True
    return name.endswith("_url") and name != "public_url"

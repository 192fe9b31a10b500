"""Passwords, session tokens and the token-free CSRF check (Origin / Sec-Fetch-Site)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address
from urllib.parse import urlsplit

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

SESSION_COOKIE = "eenplan_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MIN_PASSWORD_LENGTH = 10

_password_hash = PasswordHash((Argon2Hasher(),))
# Verifying against this when an e-mail address is unknown keeps the time the same, so the
# answer does not tell whether the address exists.
_DUMMY_HASH = _password_hash.hash("no-such-user-password")


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    return _password_hash.verify(password, password_hash)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """The Dutch reason a password is not good enough, or None when it is fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Kies een wachtwoord van minstens {MIN_PASSWORD_LENGTH} tekens."
    if len(password) > 200:
        return "Kies een wachtwoord van hoogstens 200 tekens."
    lowered = password.lower()
    if email and lowered == email.lower():
        return "Je wachtwoord mag niet hetzelfde zijn als je e-mailadres."
    if name and lowered == name.lower():
        return "Je wachtwoord mag niet hetzelfde zijn als je naam."
    if len(set(password)) < 4:
        return "Je wachtwoord is te makkelijk te raden. Gebruik meer verschillende tekens."
    return None


def new_token() -> str:
    """A random token of 256 bits for links and cookies."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Tokens are stored only as their SHA-256, so a copy of the database opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def derive_key(secret: str, purpose: str) -> bytes:
    """A key of its own for each use of ``EENPLAN_SECRET_KEY`` (HMAC-SHA256 as a KDF)."""
    return hmac.new(secret.encode(), f"eenplan:{purpose}".encode(), hashlib.sha256).digest()


def client_address(
    peer: str | None,
    forwarded_for: str | None,
    trusted_proxies: Sequence[IPv4Network | IPv6Network],
) -> str:
    """The client's IP address. ``X-Forwarded-For`` counts only when the peer is one of our
    trusted proxies; it is read from the right, skipping our own proxies, so a client cannot
    put a made-up address in front."""
    if not peer:
        return "unknown"

    def trusted(address: str) -> bool:
        try:
            parsed = ip_address(address.strip())
        except ValueError:
            return False
        return any(parsed in network for network in trusted_proxies)

    if not forwarded_for or not trusted(peer):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not trusted(hop):
            try:
                return str(ip_address(hop))
            except ValueError:
                return peer  # garbage from the client side: count it on the proxy
    return hops[0] if hops else peer


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_same_origin_request(headers: Mapping[str, str], *, host_url: str, public_url: str) -> bool:
    """True when a state-changing request (or WebSocket handshake) comes from our own pages.

    Browsers send ``Origin`` on every POST and WebSocket handshake, and ``Sec-Fetch-Site``; a
    page on another site cannot forge them. A request with neither is refused as well, so
    scripts must send our own ``Origin`` (the public contract says so).
    """
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = headers.get("origin")
    if origin is None:
        return fetch_site in ("same-origin", "none")
    return origin.lower() in {_origin_of(host_url), _origin_of(public_url)}

"""Secrets that eenplan must read back (a two-factor secret), kept in the database sealed.

A sealed value is AES-256-GCM under a key derived from ``EENPLAN_SECRET_KEY`` for one purpose,
with a fresh 96-bit nonce, and bound to its owner (the associated data names the purpose and,
for example, the account): a copy of someone's database alone does not give their secret, and
a sealed value moved to another account's row does not open there.

After a change of ``EENPLAN_SECRET_KEY`` the earlier values go in
``EENPLAN_PREVIOUS_SECRET_KEYS``: a value sealed under one of them still opens, and
``Opened.sealed_with_current`` tells the caller to seal it again under the current key.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.security import derive_key

VERSION = "v1."
_NONCE_BYTES = 12


class CannotOpen(Exception):
    """The value was sealed under a key that is not configured, or it was changed."""


@dataclass(frozen=True, slots=True)
class Opened:
    value: str
    sealed_with_current: bool


def _cipher(secret: str, purpose: str) -> AESGCM:
    return AESGCM(derive_key(secret, f"sealed:{purpose}"))


def _associated(purpose: str, owner: str) -> bytes:
    return f"eenplan:{purpose}:{owner}".encode()


def seal(value: str, *, secret: str, purpose: str, owner: str) -> str:
    """Seal ``value`` for ``owner`` (e.g. ``user:42``); the result is ASCII, 84+ characters."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(secret, purpose).encrypt(nonce, value.encode(), _associated(purpose, owner))
    return VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def open_sealed(sealed: str, *, secrets: Sequence[str], purpose: str, owner: str) -> Opened:
    """Open a sealed value with the current key (``secrets[0]``) or an earlier one."""
    if not sealed.startswith(VERSION):
        raise CannotOpen("not a sealed value")
    try:
        raw = base64.urlsafe_b64decode(sealed.removeprefix(VERSION).encode("ascii"))
    except (binascii.Error, UnicodeEncodeError) as error:
        raise CannotOpen("not a sealed value") from error
    nonce, body = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    for index, secret in enumerate(secrets):
        try:
            plain = _cipher(secret, purpose).decrypt(nonce, body, _associated(purpose, owner))
        except (InvalidTag, ValueError):
            continue
        return Opened(plain.decode(), sealed_with_current=index == 0)
    raise CannotOpen("sealed under a key that is not configured, or changed")

"""Sealed secrets: AES-GCM under a key from EENPLAN_SECRET_KEY, bound to purpose and owner,
opened with the current key or an earlier one, and nothing but ``CannotOpen`` on bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import sealing

KEY = "het-huidige-geheim-van-minstens-32-tekens"
OLD_KEY = "het-vorige-geheim-van-ook-minstens-32-tekens"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _open(sealed: str, keys: list[str], owner: str = "user:7") -> sealing.Opened:
    return sealing.open_sealed(sealed, secrets=keys, purpose="totp", owner=owner)


def test_a_sealed_value_opens_again_and_does_not_show_the_secret() -> None:
    sealed = sealing.seal(SECRET, secret=KEY, purpose="totp", owner="user:7")
    assert sealed.startswith("v1.") and SECRET not in sealed and len(sealed) <= 200
    assert _open(sealed, [KEY]) == sealing.Opened(SECRET, sealed_with_current=True)


def test_sealing_twice_gives_two_different_values() -> None:
    first = sealing.seal(SECRET, secret=KEY, purpose="totp", owner="user:7")
    second = sealing.seal(SECRET, secret=KEY, purpose="totp", owner="user:7")
    assert first != second


def test_a_value_moved_to_another_account_or_purpose_does_not_open() -> None:
    sealed = sealing.seal(SECRET, secret=KEY, purpose="totp", owner="user:7")
    with pytest.raises(sealing.CannotOpen):
        _open(sealed, [KEY], owner="user:8")
    with pytest.raises(sealing.CannotOpen):
        sealing.open_sealed(sealed, secrets=[KEY], purpose="iets-anders", owner="user:7")


def test_without_the_key_it_does_not_open() -> None:
    sealed = sealing.seal(SECRET, secret=OLD_KEY, purpose="totp", owner="user:7")
    with pytest.raises(sealing.CannotOpen):
        _open(sealed, [KEY])


def test_an_earlier_key_still_opens_and_says_so() -> None:
    sealed = sealing.seal(SECRET, secret=OLD_KEY, purpose="totp", owner="user:7")
    assert _open(sealed, [KEY, OLD_KEY]) == sealing.Opened(SECRET, sealed_with_current=False)


def test_one_changed_character_is_found() -> None:
    sealed = sealing.seal(SECRET, secret=KEY, purpose="totp", owner="user:7")
    for index in range(3, len(sealed)):
        changed = sealed[:index] + ("A" if sealed[index] != "A" else "B") + sealed[index + 1 :]
        try:
            opened = _open(changed, [KEY])
        except sealing.CannotOpen:
            continue
        # base64 can have two spellings of the last bits; then the bytes are the same
        assert opened.value == SECRET


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120) | st.builds(lambda s: "v1." + s, st.text(max_size=120)))
def test_a_string_that_was_never_sealed_raises_cannot_open_and_nothing_else(value: str) -> None:
    with pytest.raises(sealing.CannotOpen):
        _open(value, [KEY])

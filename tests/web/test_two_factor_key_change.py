"""Two-factor secrets are stored sealed under EENPLAN_SECRET_KEY: after a change of that key,
the earlier value in EENPLAN_PREVIOUS_SECRET_KEYS keeps codes working (and each secret is
sealed again under the new key at its next use); without it a code cannot be checked, the
person is told to use a recovery code, and that still works."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import sealing
from app.main import create_app
from app.models import OutboxMessage, User
from app.services import two_factor
from app.settings import Settings
from tests.conftest import ORIGIN, PASSWORD, TEST_SECRET_KEY, make_user, next_totp_code

NEW_KEY = "een-nieuw-geheim-na-de-wissel-van-minstens-32"


def _client_with(settings: Settings, **update: str) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"secret_key": NEW_KEY, **update}))
    with TestClient(app, headers={"Origin": ORIGIN}, follow_redirects=False) as client:
        yield client


@pytest.fixture
def after_change(settings: Settings) -> Iterator[TestClient]:
    yield from _client_with(settings, previous_secret_keys=f"iets-ouders,{TEST_SECRET_KEY}")


@pytest.fixture
def key_lost(settings: Settings) -> Iterator[TestClient]:
    yield from _client_with(settings)


def _sign_in(client: TestClient, user: User, code: str):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"email": user.email, "password": PASSWORD, "code": code})


def _opens_with(user: User, key: str) -> bool:
    assert user.totp_secret_sealed is not None
    try:
        sealing.open_sealed(
            user.totp_secret_sealed,
            secrets=[key],
            purpose=two_factor.SEAL_PURPOSE,
            owner=f"user:{user.id}",
        )
    except sealing.CannotOpen:
        return False
    return True


def test_with_the_earlier_key_listed_a_code_works_and_the_secret_moves_to_the_new_key(
    after_change: TestClient, db: Session
) -> None:
    user = make_user(db, "Bram Specialist", professional=True, totp=True)
    assert _opens_with(user, TEST_SECRET_KEY) and not _opens_with(user, NEW_KEY)
    code = next_totp_code(after_change.app.state.engine, user.id)  # type: ignore[attr-defined,arg-type]
    assert _sign_in(after_change, user, code).status_code == 303
    db.refresh(user)
    assert _opens_with(user, NEW_KEY) and not _opens_with(user, TEST_SECRET_KEY)


def test_without_the_earlier_key_a_code_is_refused_plainly_and_a_recovery_code_still_works(
    key_lost: TestClient, db: Session, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    user = make_user(db, "Bram Specialist", professional=True, totp=True)
    recovery = two_factor.replace_recovery_codes(db, user=user, settings=settings)
    code = next_totp_code(key_lost.app.state.engine, user.id)  # type: ignore[attr-defined,arg-type]
    with caplog.at_level(logging.ERROR, logger="app.services.two_factor"):
        refused = _sign_in(key_lost, user, code)
    assert refused.status_code == 400
    assert "Je code kan nu niet worden gecontroleerd" in refused.text
    assert "herstelcodes" in refused.text
    assert "EENPLAN_PREVIOUS_SECRET_KEYS" in caplog.text
    assert _sign_in(key_lost, user, recovery[0]).status_code == 303
    # The code app no longer matches anything: set it up anew, with a new secret.
    assert key_lost.get("/").headers["location"] == "/account/tweestapsverificatie"
    assert key_lost.get("/account/tweestapsverificatie").status_code == 200
    db.refresh(user)
    assert user.totp_enabled_at is None and _opens_with(user, NEW_KEY)
    secret = sealing.open_sealed(
        user.totp_secret_sealed or "",
        secrets=[NEW_KEY],
        purpose=two_factor.SEAL_PURPOSE,
        owner=f"user:{user.id}",
    ).value
    done = key_lost.post(
        "/account/tweestapsverificatie", data={"code": two_factor.current_code(secret)}
    )
    assert done.status_code == 200 and key_lost.get("/").status_code == 200
    bodies = [
        m.body for m in db.exec(select(OutboxMessage).where(OutboxMessage.user_id == user.id))
    ]
    assert any("opnieuw in bij Mijn account" in body for body in bodies)
    assert two_factor.remaining_recovery_codes(db, user=user) == 10  # new ones, the old gone
    assert _sign_in_again_with(key_lost, user, recovery[1]).status_code == 400


def _sign_in_again_with(client: TestClient, user: User, code: str):  # type: ignore[no-untyped-def]
    client.post("/logout")
    return _sign_in(client, user, code)


def test_a_sealed_secret_copied_to_another_account_does_not_give_its_codes(
    client: TestClient, db: Session
) -> None:
    victim = make_user(db, "Wendy WIJ", professional=True, totp=True)
    attacker = make_user(db, "Aanvaller", professional=True, totp=True)
    attacker.totp_secret_sealed = victim.totp_secret_sealed
    db.add(attacker)
    db.commit()
    code = next_totp_code(client.app.state.engine, victim.id)  # type: ignore[attr-defined,arg-type]
    refused = _sign_in(client, attacker, code)
    assert refused.status_code == 400 and "niet worden gecontroleerd" in refused.text

"""Two-factor sign-in: required for professionals, a code once, recovery codes, enrolment."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import User
from app.security import SESSION_COOKIE
from app.services import two_factor
from tests.conftest import PASSWORD, Family, make_user, next_totp_code, open_totp_secret, sign_in


def _enrolled(db: Session, name: str = "Bram Specialist") -> User:
    return make_user(db, name, professional=True, totp=True)


def _password_only(client: TestClient, user: User):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"email": user.email, "password": PASSWORD})


def test_without_a_code_no_session_is_given_and_the_page_asks_for_it(
    client: TestClient, db: Session
) -> None:
    user = _enrolled(db)
    response = _password_only(client, user)
    assert response.status_code == 401
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert "Vul je code in" in response.text
    assert 'name="code"' in response.text and 'autocomplete="one-time-code"' in response.text
    assert PASSWORD not in response.text
    assert client.get("/").status_code == 303


def test_email_password_and_code_in_one_post_sign_in(client: TestClient, db: Session) -> None:
    user = _enrolled(db)
    response = client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "code": next_totp_code(client.app.state.engine, user.id),  # type: ignore[attr-defined,arg-type]
        },
    )
    assert response.status_code == 303
    assert client.get("/").status_code == 200


def test_the_code_step_signs_in_without_sending_the_password_again(
    client: TestClient, db: Session
) -> None:
    user = _enrolled(db)
    pending = re.search(r'name="pending" value="([^"]+)"', _password_only(client, user).text)
    assert pending is not None
    wrong = client.post("/login", data={"pending": pending.group(1), "code": "000000"})
    assert wrong.status_code == 400
    assert "code klopt niet" in wrong.text
    assert 'name="pending"' in wrong.text  # asks for the code again, not the password
    right = client.post(
        "/login",
        data={
            "pending": pending.group(1),
            "code": next_totp_code(client.app.state.engine, user.id),  # type: ignore[attr-defined,arg-type]
        },
    )
    assert right.status_code == 303


def test_a_forged_pending_note_does_not_skip_the_password(client: TestClient, db: Session) -> None:
    user = _enrolled(db)
    forged = f"{user.id}.9999999999.{'0' * 64}"
    response = client.post(
        "/login",
        data={"pending": forged, "code": next_totp_code(client.app.state.engine, user.id)},  # type: ignore[attr-defined,arg-type]
    )
    assert response.status_code == 400
    assert client.get("/").status_code == 303


def test_the_same_code_is_refused_the_second_time(client: TestClient, db: Session) -> None:
    user = _enrolled(db)
    code = next_totp_code(client.app.state.engine, user.id)  # type: ignore[attr-defined,arg-type]
    data = {"email": user.email, "password": PASSWORD, "code": code}
    assert client.post("/login", data=data).status_code == 303
    client.post("/logout")
    again = client.post("/login", data=data)
    assert again.status_code == 400
    assert "al gebruikt" in again.text
    assert client.get("/").status_code == 303


def test_a_recovery_code_works_once(client: TestClient, db: Session) -> None:
    user = make_user(db, "Herstel", professional=True)
    sign_in(client, user)  # sets it up
    codes = client.post("/account/herstelcodes", data={"bevestigd": "ja"})
    assert codes.status_code == 200
    found = re.findall(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>", codes.text)
    assert len(found) == 10 and len(set(found)) == 10
    client.post("/logout")
    data = {"email": user.email, "password": PASSWORD, "code": found[3].upper()}
    assert client.post("/login", data=data).status_code == 303
    client.post("/logout")
    assert client.post("/login", data=data).status_code == 400


def test_code_tries_are_throttled(client: TestClient, db: Session) -> None:
    user = _enrolled(db)
    pending = re.search(r'name="pending" value="([^"]+)"', _password_only(client, user).text)
    assert pending is not None
    codes = [
        client.post("/login", data={"pending": pending.group(1), "code": f"00000{n}"}).status_code
        for n in range(6)
    ]
    assert codes == [400] * 5 + [429]
    right = client.post(
        "/login",
        data={
            "pending": pending.group(1),
            "code": next_totp_code(client.app.state.engine, user.id),  # type: ignore[attr-defined,arg-type]
        },
    )
    assert right.status_code == 429


def test_a_professional_who_has_not_set_it_up_is_led_there_before_anything_else(
    client: TestClient, family: Family, db: Session
) -> None:
    user = make_user(db, "Nieuwe Collega", professional=True)
    response = _password_only(client, user)
    assert response.status_code == 303
    assert response.headers["location"] == "/account/tweestapsverificatie"
    for path in ("/", "/cases/new", "/account/sessies", f"/cases/{family.case.id}"):
        page = client.get(path)
        assert page.status_code == 303, path
        assert page.headers["location"] == "/account/tweestapsverificatie"
    api = client.get(f"/api/cases/{family.case.id}/documents")
    assert api.status_code == 403
    assert "tweestapsverificatie" in api.json()["detail"]
    with client.websocket_connect(
        f"/ws/docs/{family.case.id}", headers={"origin": "http://testserver"}
    ) as ws:
        assert ws.receive()["code"] == 4401
    setup = client.get("/account/tweestapsverificatie")
    assert setup.status_code == 200
    assert "verplicht" in setup.text
    assert re.search(r"<div class=\"qr\"[^>]*><svg[^>]*>.*?</svg></div>", setup.text, re.S)
    db.refresh(user)
    secret = open_totp_secret(user.id, user.totp_secret_sealed)  # type: ignore[arg-type]
    shown = re.search(r'<p class="secret"><code>(.*?)</code></p>', setup.text)
    assert shown is not None
    assert re.sub(r"<[^>]+>", "", shown.group(1)) == " ".join(
        secret[i : i + 4] for i in range(0, 32, 4)
    )
    assert secret not in (user.totp_secret_sealed or "")  # stored sealed, never plain
    wrong = client.post("/account/tweestapsverificatie", data={"code": "123456"})
    assert wrong.status_code == 422
    done = client.post(
        "/account/tweestapsverificatie", data={"code": two_factor.current_code(secret)}
    )
    assert done.status_code == 200
    assert len(re.findall(r"<code>[a-z0-9-]{14}</code>", done.text)) == 10
    assert client.get("/").status_code == 200


def test_setting_it_up_ends_sessions_that_had_only_the_password(
    app, client: TestClient, db: Session
) -> None:
    user = make_user(db, "Twee Apparaten", professional=True)
    with TestClient(app, headers={"Origin": "http://testserver"}, follow_redirects=False) as other:
        assert _password_only(other, user).status_code == 303
        sign_in(client, user)  # sets it up on this device
        assert other.get("/account/tweestapsverificatie").status_code == 303
        assert other.get("/").headers["location"].startswith("/login")


def test_becoming_a_specialist_asks_for_two_factor_set_up_at_the_next_page(
    client: TestClient, family: Family, db: Session
) -> None:
    from app.models import Role
    from app.services import membership

    oma = family.user("oma")
    sign_in(client, oma)
    assert client.get("/").status_code == 200
    place = family.places["oma"]
    place.role = Role.specialist
    db.add(place)
    db.commit()
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/tweestapsverificatie"
    assert membership.find_active_participant(db, user_id=oma.id, case_id=family.case.id)  # type: ignore[arg-type]


def test_a_family_member_may_turn_it_on_and_then_needs_the_code(
    client: TestClient, family: Family, db: Session
) -> None:
    moeder = family.user("moeder")
    sign_in(client, moeder)
    page = client.get("/account/tweestapsverificatie")
    assert page.status_code == 200 and "verplicht" not in page.text
    db.refresh(moeder)
    secret = open_totp_secret(moeder.id, moeder.totp_secret_sealed)  # type: ignore[arg-type]
    done = client.post(
        "/account/tweestapsverificatie", data={"code": two_factor.current_code(secret)}
    )
    assert done.status_code == 200
    client.post("/logout")
    assert _password_only(client, moeder).status_code == 401


def test_an_enrolled_account_cannot_join_an_invitation_with_the_password_alone(
    client: TestClient, family: Family, db: Session
) -> None:
    user = _enrolled(db, "Specialist Twee")
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(
        f"/cases/{family.case.id}/uitnodigingen", data={"email": user.email, "role": "specialist"}
    )
    path = re.search(r'value="http://testserver(/uitnodiging/[^"]+)"', response.text).group(1)  # type: ignore[union-attr]
    client.post("/logout")
    page = client.get(path)
    assert "Log eerst in" in page.text and 'name="password"' not in page.text
    refused = client.post(path, data={"password": PASSWORD})
    assert refused.status_code == 403
    sign_in(client, user)
    assert client.post(path, data={}).status_code == 303


def _set_up_page(client: TestClient, db: Session, user: User):  # type: ignore[no-untyped-def]
    """Sign in and open the two-factor set-up page; the page and the secret it offers."""
    sign_in(client, user)
    page = client.get("/account/tweestapsverificatie")
    db.refresh(user)
    return page, open_totp_secret(user.id, user.totp_secret_sealed)  # type: ignore[arg-type]


def test_on_a_phone_the_set_up_offers_a_link_that_opens_the_app(
    client: TestClient, family: Family, db: Session
) -> None:
    moeder = family.user("moeder")
    page, secret = _set_up_page(client, db, moeder)
    link = re.search(
        r'<a class="button secondary" href="(otpauth://[^"]+)">Open in je app</a>', page.text
    )
    assert link is not None
    uri = urlsplit(unescape(link.group(1)))
    assert uri.netloc == "totp" and moeder.email in unescape(uri.path.replace("%40", "@"))
    assert parse_qs(uri.query)["secret"] == [secret]
    assert parse_qs(uri.query)["issuer"] == ["eenplan"]
    assert "Op je telefoon?" in page.text and "Tik op de knop" in page.text
    assert "Typ dan deze sleutel in je app" in page.text
    # a link is navigation, which the Content-Security-Policy does not restrict
    assert "navigate-to" not in page.headers["content-security-policy"]


def test_the_typed_key_breaks_between_groups_of_four_and_never_inside_one(
    client: TestClient, family: Family, db: Session
) -> None:
    moeder = family.user("moeder")
    page, secret = _set_up_page(client, db, moeder)
    groups = re.findall(r'<span class="key-group">([A-Z2-7]+)</span>', page.text)
    assert groups == [secret[i : i + 4] for i in range(0, len(secret), 4)]
    css = client.get("/static/eenplan.css").text
    rule = re.search(r"\.secret \.key-group \{([^}]*)\}", css)
    assert rule is not None and "white-space: nowrap" in rule.group(1)
    assert "display: inline-block" in rule.group(1)


def test_the_code_field_of_sign_in_brings_up_digits_takes_the_focus_and_takes_letters_too(
    client: TestClient, db: Session
) -> None:
    user = _enrolled(db)
    page = _password_only(client, user).text
    field = re.search(r'<input[^>]*name="code"[^>]*>', page, re.S)
    assert field is not None
    tag = field.group(0)
    assert 'type="text"' in tag  # not type=number: a recovery code has letters
    assert 'inputmode="numeric"' in tag
    assert 'autocomplete="one-time-code"' in tag
    assert "autofocus" in tag
    assert "pattern" not in tag

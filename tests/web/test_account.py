"""Your own account: where you are signed in, signing out everywhere, a new password, which
mails you get."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.services import notifications
from app.services.mail_texts import MailKind
from tests.conftest import ORIGIN, PASSWORD, Family, sign_in

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
)


def _device(app: FastAPI, user_agent: str) -> TestClient:
    return TestClient(
        app, headers={"Origin": ORIGIN, "User-Agent": user_agent}, follow_redirects=False
    )


def test_the_sessions_page_lists_where_you_are_signed_in(app: FastAPI, family: Family) -> None:
    with _device(app, FIREFOX) as laptop, _device(app, IPHONE) as phone:
        sign_in(laptop, family.user("moeder"))
        sign_in(phone, family.user("moeder"))
        page = laptop.get("/account/sessies")
    assert page.status_code == 200
    assert "Firefox op Windows" in page.text
    assert "Safari op iPhone" in page.text
    assert page.text.count('class="badge">dit apparaat') == 1
    assert "Overal uitloggen" in page.text


def test_signing_out_everywhere_ends_the_other_sessions_and_keeps_this_one(
    app: FastAPI, family: Family
) -> None:
    with _device(app, FIREFOX) as laptop, _device(app, IPHONE) as phone:
        sign_in(laptop, family.user("jongere"))
        sign_in(phone, family.user("jongere"))
        response = laptop.post("/account/sessies/overal-uitloggen", data={"bevestigd": "ja"})
        assert response.status_code == 303
        assert "1 ander apparaat" in laptop.get(response.headers["location"]).text
        assert laptop.get("/").status_code == 200
        assert phone.get("/").status_code == 303


def test_changing_the_password_ends_the_other_sessions(app: FastAPI, family: Family) -> None:
    user = family.user("vader")
    with _device(app, FIREFOX) as laptop, _device(app, IPHONE) as phone:
        sign_in(laptop, user)
        sign_in(phone, user)
        response = laptop.post(
            "/account/wachtwoord",
            data={
                "current_password": PASSWORD,
                "new_password": "een-nieuw-lang-wachtwoord",
                "new_password_again": "een-nieuw-lang-wachtwoord",
            },
        )
        assert response.status_code == 200
        assert "gewijzigd" in response.text
        assert laptop.get("/").status_code == 200
        assert phone.get("/").status_code == 303
        laptop.post("/logout")
        old = laptop.post("/login", data={"email": user.email, "password": PASSWORD})
        assert old.status_code == 400
        new = laptop.post(
            "/login", data={"email": user.email, "password": "een-nieuw-lang-wachtwoord"}
        )
        assert new.status_code == 303


def test_the_current_password_check_is_throttled(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("oma"))
    codes = [
        client.post(
            "/account/wachtwoord",
            data={
                "current_password": f"gok-nummer-{n}",
                "new_password": "een-nieuw-lang-wachtwoord",
                "new_password_again": "een-nieuw-lang-wachtwoord",
            },
        ).status_code
        for n in range(6)
    ]
    assert codes == [422] * 5 + [429]


def test_password_change_errors_are_dutch_and_next_to_the_field(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("oma"))
    response = client.post(
        "/account/wachtwoord",
        data={
            "current_password": PASSWORD,
            "new_password": "een-nieuw-lang-wachtwoord",
            "new_password_again": "iets-anders-dan-dat",
        },
    )
    assert response.status_code == 422
    assert "niet hetzelfde" in response.text
    assert 'aria-invalid="true"' in response.text


def _mail_kinds(client: TestClient) -> dict[str, str]:
    """The kinds of mail the page offers: name → the question (legend)."""
    page = client.get("/account/meldingen")
    assert page.status_code == 200
    found = re.findall(
        r'<legend class="choice-question">([^<]*)</legend>.*?name="([a-z]+)"', page.text, re.S
    )
    return {name: label for label, name in found}


def test_the_youth_is_offered_only_mails_that_can_reach_her_in_her_own_words(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("jongere"))
    kinds = _mail_kinds(client)
    assert set(kinds) == {"akkoord", "ronde", "toestemming"}
    assert kinds["toestemming"] == "Toestemming moet opnieuw, omdat je jarig bent geweest"
    page = client.get("/account/meldingen").text
    assert "voor hulpverleners" not in page and "voor het vaste aanspreekpunt" not in page
    assert "de jongere" not in page


def test_family_and_network_are_offered_only_mails_that_can_reach_them(
    app: FastAPI, family: Family
) -> None:
    expected = {
        "moeder": {"akkoord", "ronde", "toestemming"},  # a parent with gezag decides on consent
        "vader": {"akkoord", "ronde"},  # without gezag he does not
        "oma": {"akkoord", "ronde"},
        "specialist": {"akkoord", "ronde", "evaluatie", "link"},  # a professional account
        "aanspreekpunt": {"akkoord", "ronde", "evaluatie", "link"},
    }
    for person, kinds in expected.items():
        with TestClient(app, headers={"Origin": ORIGIN}, follow_redirects=False) as client:
            sign_in(client, family.user(person))
            assert set(_mail_kinds(client)) == kinds, person
    with TestClient(app, headers={"Origin": ORIGIN}, follow_redirects=False) as client:
        sign_in(client, family.user("moeder"))
        assert "omdat de jongere jarig is geweest" in _mail_kinds(client)["toestemming"]


def test_the_youth_saves_the_choices_she_is_offered(
    client: TestClient, family: Family, db: Session
) -> None:
    jongere = family.user("jongere")
    sign_in(client, jongere)
    saved = client.post(
        "/account/meldingen",
        data={"akkoord": "dagelijks", "ronde": "nooit", "toestemming": "direct"},
    )
    assert saved.status_code == 303
    chosen = notifications.preferences(db, user=jongere)
    assert chosen[MailKind.akkoord] == "dagelijks" and chosen[MailKind.ronde] == "nooit"
    page = client.get("/account/meldingen").text
    assert re.search(r'id="f-akkoord-dagelijks"[^>]*checked', page)

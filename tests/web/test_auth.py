"""Signing in and out, cookies, throttling, and not telling whether an address exists."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, quote, urlsplit

from fastapi.testclient import TestClient

from app.main import create_app
from app.security import SESSION_COOKIE
from tests.conftest import PASSWORD, Family, sign_in


def test_sign_in_sets_an_httponly_lax_session_cookie(client: TestClient, family: Family) -> None:
    response = client.post(
        "/login", data={"email": family.user("jongere").email, "password": PASSWORD}
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie.replace("SameSite=Lax", "SameSite=lax")
    assert "Secure" not in cookie


def test_sign_in_behind_https_sets_a_secure_cookie(settings, family: Family) -> None:
    app = create_app(settings.model_copy(update={"public_url": "https://eenplan.example"}))
    with TestClient(
        app,
        base_url="https://eenplan.example",
        headers={"Origin": "https://eenplan.example"},
        follow_redirects=False,
    ) as client:
        response = client.post(
            "/login", data={"email": family.user("moeder").email, "password": PASSWORD}
        )
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


def test_email_is_case_insensitive(client: TestClient, family: Family) -> None:
    response = client.post(
        "/login", data={"email": family.user("moeder").email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 303


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: TestClient, family: Family
) -> None:
    wrong = client.post(
        "/login", data={"email": family.user("jongere").email, "password": "nope-nope-nope"}
    )
    unknown = client.post(
        "/login", data={"email": "niemand@voorbeeld.nl", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 400
    assert "horen niet bij elkaar" in wrong.text

    def masked(text: str, email: str) -> str:  # the address, also as it is in a link
        return text.replace(email, "X").replace(quote(email, safe=""), "X")

    assert masked(wrong.text, family.user("jongere").email) == masked(
        unknown.text, "niemand@voorbeeld.nl"
    )


def test_failed_sign_in_keeps_the_typed_email(client: TestClient, family: Family) -> None:
    response = client.post("/login", data={"email": "typo@voorbeeld.nl", "password": "x"})
    assert 'value="typo@voorbeeld.nl"' in response.text


def test_forgot_password_carries_the_typed_email_to_its_page_escaped(
    client: TestClient, family: Family
) -> None:
    fresh = client.get("/login").text
    assert 'href="/wachtwoord-vergeten"' in fresh  # nothing typed yet: a plain link
    typed = 'moeder+"><b>x</b>@voorbeeld.nl'
    page = client.post("/login", data={"email": typed, "password": "x"}).text
    link = re.search(r'<a href="(/wachtwoord-vergeten[^"]*)">Wachtwoord vergeten\?</a>', page)
    assert link is not None
    href = unescape(link.group(1))
    assert parse_qs(urlsplit(href).query) == {"email": [typed]}
    forgot = client.get(href)
    assert forgot.status_code == 200
    assert 'value="moeder+&#34;&gt;&lt;b&gt;x&lt;/b&gt;@voorbeeld.nl"' in forgot.text
    assert "<b>x</b>" not in forgot.text


def test_too_many_failed_sign_ins_get_429_in_dutch(client: TestClient, family: Family) -> None:
    email = family.user("vader").email
    for _ in range(5):
        assert (
            client.post("/login", data={"email": email, "password": "fout-fout-fout"}).status_code
            == 400
        )
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 429
    assert "te vaak" in response.text


def test_signing_out_ends_the_session_on_the_server(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("jongere"))
    token = client.cookies.get(SESSION_COOKIE)
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 303
    client.cookies.set(SESSION_COOKIE, token)
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_pages_redirect_to_sign_in_and_back(client: TestClient, family: Family) -> None:
    target = f"/cases/{family.case.id}"
    response = client.get(target)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/cases/{family.case.id}"
    after = client.post(
        "/login",
        data={"email": family.user("jongere").email, "password": PASSWORD, "next": target},
    )
    assert after.headers["location"] == target


def test_sign_in_never_redirects_to_another_site(client: TestClient, family: Family) -> None:
    response = client.post(
        "/login",
        data={
            "email": family.user("jongere").email,
            "password": PASSWORD,
            "next": "//evil.example/x",
        },
    )
    assert response.headers["location"] == "/"


def test_api_without_session_answers_401(client: TestClient, family: Family) -> None:
    response = client.get(f"/api/cases/{family.case.id}/documents")
    assert response.status_code == 401
    assert response.json()["detail"] == "Je bent niet ingelogd."


def test_forged_session_cookie_is_not_accepted(client: TestClient, family: Family) -> None:
    client.cookies.set(SESSION_COOKIE, "forged-token")
    assert client.get("/").status_code == 303


def _wrong(client: TestClient, email: str, times: int) -> list[int]:
    return [
        client.post("/login", data={"email": email, "password": "fout-fout-fout"}).status_code
        for _ in range(times)
    ]


def test_an_attacker_elsewhere_does_not_lock_the_owner_out(
    app, client: TestClient, family: Family
) -> None:
    email = family.user("vader").email
    with TestClient(
        app,
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
        client=("203.0.113.66", 4444),
    ) as attacker:
        assert _wrong(attacker, email, 6)[-1] == 429
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303


def test_after_too_many_misses_the_owner_signs_in_once_the_delay_is_over(
    settings, family: Family
) -> None:
    import time

    app = create_app(settings.model_copy(update={"login_delay_seconds": 1}))
    email = family.user("vader").email
    with TestClient(app, headers={"Origin": "http://testserver"}, follow_redirects=False) as c:
        assert _wrong(c, email, 5) == [400] * 5
        slowed = c.post("/login", data={"email": email, "password": PASSWORD})
        assert slowed.status_code == 429
        assert int(slowed.headers["retry-after"]) >= 1
        time.sleep(1.2)
        assert c.post("/login", data={"email": email, "password": PASSWORD}).status_code == 303


def test_the_delay_grows_with_every_further_miss(settings, family: Family) -> None:
    import time

    app = create_app(settings.model_copy(update={"login_delay_seconds": 1}))
    email = family.user("vader").email
    with TestClient(app, headers={"Origin": "http://testserver"}, follow_redirects=False) as c:
        _wrong(c, email, 5)
        time.sleep(1.2)
        assert _wrong(c, email, 1) == [400]
        second = c.post("/login", data={"email": email, "password": PASSWORD})
        assert second.status_code == 429
        assert int(second.headers["retry-after"]) >= 2


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(settings, family: Family) -> None:
    app = create_app(settings.model_copy(update={"login_max_attempts_per_ip": 3}))
    with TestClient(
        app,
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
        client=("127.0.0.1", 5555),
    ) as c:
        codes = [
            c.post(
                "/login",
                data={"email": f"raden{n}@voorbeeld.nl", "password": "fout-fout-fout"},
                headers={"X-Forwarded-For": f"192.0.2.{n}"},
            ).status_code
            for n in range(4)
        ]
    assert codes == [400, 400, 400, 429]


def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(settings, family: Family) -> None:
    app = create_app(
        settings.model_copy(
            update={"login_max_attempts_per_ip": 3, "trusted_proxies": "10.0.0.0/8"}
        )
    )
    with TestClient(
        app,
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
        client=("10.1.2.3", 5555),
    ) as c:
        codes = [
            c.post(
                "/login",
                data={"email": f"raden{n}@voorbeeld.nl", "password": "fout-fout-fout"},
                headers={"X-Forwarded-For": f"192.0.2.{n}, 10.9.9.9"},
            ).status_code
            for n in range(4)
        ]
    assert codes == [400, 400, 400, 400]

"""Every answer carries the security headers: a strict Content-Security-Policy, no caching of
anything that holds a plan, HSTS behind https, and download names that work for every name."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.main import create_app
from app.services import consent, shares
from app.services.access_bus import AccessBus
from app.settings import Settings
from tests.conftest import ORIGIN, Family, sign_in


def policy(response: object) -> dict[str, list[str]]:
    header = response.headers["content-security-policy"]  # type: ignore[attr-defined]
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.fixture
def share_url(db: Session, family: Family) -> str:
    for who in ("jongere", "moeder"):
        consent.decide(
            db,
            user=family.user(who),
            case_id=family.case.id,
            audience="school",
            decision="given",
            bus=AccessBus(),
        )
    created = shares.create_share(
        db,
        actor=family.user("aanspreekpunt"),
        case_id=family.case.id,
        audience="school",
        label="Mentor",
        expires_in_days=30,
        bus=AccessBus(),
    )
    return created.path


@pytest.fixture
def failing_client(app: FastAPI) -> Iterator[TestClient]:
    """A client that gets the 500 page instead of the exception."""

    def boom() -> None:
        raise RuntimeError("kapot")

    app.add_api_route("/kapot", boom)
    with TestClient(
        app, headers={"Origin": ORIGIN}, follow_redirects=False, raise_server_exceptions=False
    ) as test_client:
        yield test_client


def test_every_kind_of_answer_has_a_strict_content_security_policy(
    client: TestClient, family: Family, share_url: str, failing_client: TestClient
) -> None:
    case_id = family.case.id
    answers = {
        "login page": client.get("/login"),
        "static file": client.get("/static/eenplan.css"),
        "share page": client.get(share_url),
        "404 page": client.get("/bestaat-niet"),
        "cross-site refusal": client.post("/logout", headers={"Origin": "https://evil.example"}),
        "500 page": failing_client.get("/kapot"),
    }
    sign_in(client, family.user("aanspreekpunt"))
    answers |= {
        "home": client.get("/"),
        "print view": client.get(f"/cases/{case_id}/print"),
        "pdf": client.get(f"/cases/{case_id}/print.pdf"),
        "api": client.get(f"/api/cases/{case_id}/documents"),
    }
    assert answers["500 page"].status_code == 500
    assert answers["cross-site refusal"].status_code == 403
    for what, response in answers.items():
        csp = policy(response)
        for directive in ("script-src", "style-src"):
            assert "'unsafe-inline'" not in csp[directive], what
            assert "'unsafe-eval'" not in csp[directive], what
            assert "'self'" in csp[directive], what
            assert any(v.startswith("'nonce-") for v in csp[directive]), what
        assert csp["default-src"] == ["'self'"], what
        assert csp["object-src"] == ["'none'"], what
        assert csp["base-uri"] == ["'none'"], what
        assert csp["form-action"] == ["'self'"], what
        assert csp["frame-ancestors"] == ["'none'"], what
        assert "'self'" in csp["connect-src"] and "ws://testserver" in csp["connect-src"], what
        assert response.headers["x-content-type-options"] == "nosniff", what


def test_each_answer_gets_its_own_nonce(client: TestClient) -> None:
    first = policy(client.get("/login"))["script-src"]
    second = policy(client.get("/login"))["script-src"]
    assert first != second


def test_the_websocket_may_use_wss_when_eenplan_runs_behind_https(settings: Settings) -> None:
    secure = create_app(settings.model_copy(update={"public_url": "https://plan.example.nl"}))
    with TestClient(secure) as client:
        assert "wss://plan.example.nl" in policy(client.get("/login"))["connect-src"]


def test_nothing_that_holds_a_plan_is_kept_in_a_cache(
    client: TestClient, family: Family, share_url: str
) -> None:
    case_id = family.case.id
    assert client.get(share_url).headers["cache-control"] == "no-store"
    sign_in(client, family.user("moeder"))
    for path in (
        "/",
        f"/cases/{case_id}",
        f"/cases/{case_id}/print",
        f"/cases/{case_id}/print.pdf",
        f"/cases/{case_id}/logboek",
        f"/api/cases/{case_id}/documents",
        f"/api/cases/{case_id}/consents",
        f"/api/cases/{case_id}/versions",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers.get("cache-control") == "no-store", path
    # our own stylesheet and scripts may be cached
    assert client.get("/static/eenplan.css").headers.get("cache-control") != "no-store"


def test_hsts_only_when_the_public_address_is_https(settings: Settings) -> None:
    with TestClient(create_app(settings)) as plain:
        assert "strict-transport-security" not in plain.get("/login").headers
    secure = create_app(settings.model_copy(update={"public_url": "https://plan.example.nl"}))
    with TestClient(secure) as client:
        hsts = client.get("/login").headers["strict-transport-security"]
    assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 15552000


@pytest.mark.parametrize("label", ["Gezin Öztürk-€", "Gezin Şahin", "Gezin 李", 'Gezin "x"\r\n'])
def test_the_pdf_downloads_under_the_case_name_whatever_its_letters(
    client: TestClient, family: Family, db: Session, label: str
) -> None:
    family.case.label = label
    db.add(family.case)
    db.commit()
    sign_in(client, family.user("aanspreekpunt"))
    response = client.get(f"/cases/{family.case.id}/print.pdf")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    fallback = disposition.split('filename="')[1].split('"')[0]
    assert fallback.isascii() and fallback.endswith(".pdf") and "\r" not in fallback
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == f"plan-{label.lower().replace(' ', '-')}-concept.pdf"

"""What a version says (its decisions, the remarks given with the answers) is plan content:
only whoever may read the plan at that moment reads it, on the version page, on paper, in
the PDF and in the API. Everyone else sees that the version exists and when it was adopted."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Version
from app.services import versions
from tests.conftest import ORIGIN, Family, sign_in
from tests.docs_helpers import pdf_text

DECISION = "Bram (Accare) start gesprekken met Sanne"
REMARK = "Ik wil vaker horen hoe het gaat"
NOT_SHARED = "De inhoud van deze versie is niet met jou gedeeld."

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="needs poppler-utils (make test installs it)"
)


@pytest.fixture
def adopted(client: TestClient, family: Family) -> Family:
    """Version 1 with a decision, and the mother's akkoord with a remark."""
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(
        f"/api/cases/{family.case.id}/versions",
        json={"title": "Zorgoverleg maart", "decisions": DECISION},
    )
    assert response.status_code == 201, response.text
    client.post("/logout")
    sign_in(client, family.user("moeder"))
    answer = client.post(
        f"/cases/{family.case.id}/versies/1/akkoord",
        data={"decision": "akkoord_met_opmerking", "remark": REMARK},
    )
    assert answer.status_code == 303
    client.post("/logout")
    return family


def _pages(client: TestClient, family: Family) -> dict[str, str]:
    """Every HTML and JSON answer that shows a version, by path."""
    case_id = family.case.id
    paths = [
        f"/cases/{case_id}/versies/1",
        f"/cases/{case_id}/versies",
        f"/cases/{case_id}/print",
        f"/cases/{case_id}/versies/1/print",
        f"/api/cases/{case_id}/versions",
    ]
    answers = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text)
        answers[path] = response.text
    return answers


@pytest.mark.parametrize("who", ["oma", "vader"], ids=["netwerk", "ouder_zonder_gezag"])
def test_who_may_not_read_the_plan_sees_a_version_but_not_its_decisions_or_remarks(
    client: TestClient, adopted: Family, who: str
) -> None:
    sign_in(client, adopted.user(who))
    for path, text in _pages(client, adopted).items():
        assert DECISION not in text, path
        assert REMARK not in text, path
    case_id = adopted.case.id
    page = client.get(f"/cases/{case_id}/versies/1").text
    assert "Versie 1: Zorgoverleg maart" in page
    assert "Vastgesteld op" in page
    assert NOT_SHARED in page
    assert NOT_SHARED in client.get(f"/cases/{case_id}/versies/1/print").text
    listed = client.get(f"/api/cases/{case_id}/versions").json()["versions"][0]
    assert (listed["number"], listed["title"]) == (1, "Zorgoverleg maart")
    assert listed["content_shared"] is False
    assert listed["decisions"] is None
    mother = next(a for a in listed["approvals"] if a["name"] == adopted.user("moeder").name)
    assert mother["remark"] is None
    assert mother["decision"] == "akkoord_met_opmerking"  # who answered what is not content


@needs_pdftotext
@pytest.mark.parametrize("who", ["oma", "vader"], ids=["netwerk", "ouder_zonder_gezag"])
def test_the_pdf_holds_no_decisions_or_remarks_for_who_may_not_read_the_plan(
    client: TestClient, adopted: Family, who: str, tmp_path: Path
) -> None:
    sign_in(client, adopted.user(who))
    for path in ["/versies/1/print.pdf", "/print.pdf"]:
        text = pdf_text(client, f"/cases/{adopted.case.id}{path}", tmp_path)
        assert "Zorgoverleg maart" in text, path
        assert DECISION not in " ".join(text.split()), path
        assert REMARK not in " ".join(text.split()), path


@pytest.mark.parametrize("who", ["aanspreekpunt", "jongere"])
def test_the_aanspreekpunt_and_the_youth_still_read_decisions_and_remarks(
    client: TestClient, adopted: Family, who: str, tmp_path: Path
) -> None:
    sign_in(client, adopted.user(who))
    case_id = adopted.case.id
    answers = _pages(client, adopted)
    for path in [
        f"/cases/{case_id}/versies/1",
        f"/cases/{case_id}/versies/1/print",
        f"/api/cases/{case_id}/versions",
    ]:
        assert DECISION in answers[path], path
        assert REMARK in answers[path], path
        assert NOT_SHARED not in answers[path], path
    assert DECISION in answers[f"/cases/{case_id}/print"]  # the concept carries them too
    listed = client.get(f"/api/cases/{case_id}/versions").json()["versions"][0]
    assert (listed["content_shared"], listed["decisions"]) == (True, DECISION)
    if shutil.which("pdftotext"):
        text = " ".join(pdf_text(client, f"/cases/{case_id}/versies/1/print.pdf", tmp_path).split())
        assert DECISION in text and REMARK in text


def _network_consent(client: TestClient, family: Family, decision: str) -> None:
    """The youth (14) and the mother (gezag) both give or withdraw consent for the network."""
    for who in ("jongere", "moeder"):
        sign_in(client, family.user(who))
        response = client.post(
            f"/api/cases/{family.case.id}/consents",
            json={"audience": "netwerk", "decision": decision},
        )
        assert response.status_code == 201, response.text
        client.post("/logout")


def test_consent_for_the_network_opens_the_decisions_to_oma_and_withdrawal_closes_them(
    client: TestClient, adopted: Family
) -> None:
    case_id = adopted.case.id

    def oma_reads() -> str:
        sign_in(client, adopted.user("oma"))
        page = client.get(f"/cases/{case_id}/versies/1").text
        client.post("/logout")
        return page

    _network_consent(client, adopted, "given")
    page = oma_reads()
    assert DECISION in page and REMARK in page
    _network_consent(client, adopted, "withdrawn")
    page = oma_reads()
    assert DECISION not in page and REMARK not in page


def test_who_may_no_longer_read_the_plan_still_sees_their_own_remark(
    client: TestClient, adopted: Family
) -> None:
    case_id = adopted.case.id

    _network_consent(client, adopted, "given")
    sign_in(client, adopted.user("oma"))
    own = "Ik kom graag bij het volgende overleg"
    path = f"/cases/{case_id}/versies/1/akkoord"
    assert client.post(path, data={"decision": "niet_akkoord", "remark": own}).status_code == 303
    client.post("/logout")
    _network_consent(client, adopted, "withdrawn")
    sign_in(client, adopted.user("oma"))
    page = client.get(f"/cases/{case_id}/versies/1").text
    assert own in page and REMARK not in page


# --- adopting at the same moment ---------------------------------------------------------------


@pytest.fixture
def everyone_reads_before_anyone_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[int], None]:
    """Hold each adopter right after it read the newest version until all of them have read
    it: the moment two clicks on 'vaststellen' race for the same version number."""

    def arm(parties: int) -> None:
        barrier = threading.Barrier(parties)
        original = versions.latest_version

        def latest_version(session: Session, *, case_id: str) -> Version | None:
            found = original(session, case_id=case_id)
            barrier.wait(timeout=30)
            return found

        monkeypatch.setattr(versions, "latest_version", latest_version)

    return arm


def test_parallel_adopts_give_exactly_one_201_and_a_409_for_the_rest(
    app: FastAPI,
    client: TestClient,
    family: Family,
    db: Session,
    everyone_reads_before_anyone_writes: Callable[[int], None],
) -> None:
    parties = 4
    sign_in(client, family.user("aanspreekpunt"))  # ``client`` runs the app's lifespan
    everyone_reads_before_anyone_writes(parties)

    def adopt(n: int) -> httpx.Response:
        # each thread its own client (and so its own request, event loop and database session)
        own = TestClient(
            app, headers={"Origin": ORIGIN}, follow_redirects=False, raise_server_exceptions=False
        )
        own.cookies.update(client.cookies)
        return own.post(f"/api/cases/{family.case.id}/versions", json={"title": f"Zorgoverleg {n}"})

    with ThreadPoolExecutor(max_workers=parties) as pool:
        responses = list(pool.map(adopt, range(parties)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (parties - 1), [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["detail"] == (
                "Er is net al een versie vastgesteld. Kijk bij de versies."
            )
    adopted = db.exec(select(Version).where(Version.case_id == family.case.id)).all()
    assert [v.number for v in adopted] == [1]
    assert versions.verify_chain(db, case_id=family.case.id).ok


@pytest.mark.parametrize("who", ["oma", "vader"], ids=["netwerk", "ouder_zonder_gezag"])
def test_who_may_not_read_the_plan_is_not_asked_for_akkoord_and_cannot_give_it(
    client: TestClient, adopted: Family, who: str
) -> None:
    case_id = adopted.case.id
    sign_in(client, adopted.user(who))
    page = client.get(f"/cases/{case_id}/versies/1").text
    assert versions.NOT_ASKED in page and 'name="decision"' not in page
    answer = client.post(f"/cases/{case_id}/versies/1/akkoord", data={"decision": "akkoord"})
    assert answer.status_code == 403
    client.post("/logout")
    sign_in(client, adopted.user("aanspreekpunt"))
    listed = client.get(f"/cases/{case_id}/versies/1").text.split('id="kop-akkoord"')[1]
    assert adopted.user(who).name not in listed.split("Jouw antwoord")[0]
    waiting = [i for i in client.get("/api/worklist").json() if i["kind"] == "akkoord"]
    assert waiting and all(adopted.user(who).name not in str(i["detail"]) for i in waiting)


def test_a_refused_answer_takes_the_reader_to_the_form_and_says_so_at_the_top(
    client: TestClient, adopted: Family
) -> None:
    sign_in(client, adopted.user("jongere"))
    refused = client.post(
        f"/cases/{adopted.case.id}/versies/1/akkoord", data={"decision": "niet_akkoord"}
    )
    assert refused.status_code == 422
    top = refused.text.split("<h1")[1].split("</div>")[0]
    assert "Je antwoord is nog niet opgeslagen" in top and 'href="#jouw-antwoord"' in top
    assert 'action="/cases/' in refused.text and '/akkoord#jouw-antwoord"' in refused.text

"""Own stories belong to their owner: who reads them is the owner's choice (default: the
professionals, the youth and the parents with gezag); the network and parents without gezag
read one only when its owner opens it to everyone. The aanspreekpunt writes in it on the
owner's behalf, visibly, unless a youth of 12 or older turned that off."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from pycrdt import Doc, Text
from sqlmodel import Session

from app.security import SESSION_COOKIE
from app.services import accounts
from tests.conftest import ORIGIN, Family, live_session_token, sign_in
from tests.crdt.yclient import YClient, expect_close
from tests.docs_helpers import document_id, edit, stored_doc


def _story(db: Session, family: Family, owner: str = "jongere") -> str:
    return document_id(db, family.case.id, "verhaal", family.places[owner].id)


def _write(text: str):  # type: ignore[no-untyped-def]
    def change(doc: Doc) -> None:
        doc.get("hulpvraag", type=Text).insert(0, text)

    return change


def _sections(client: TestClient, family: Family) -> dict[str, str]:
    listing = client.get(f"/api/cases/{family.case.id}/documents").json()
    return {d["section"]: d["access"] for d in listing}


def _choose(client: TestClient, family: Family, story: str, **form: str):  # type: ignore[no-untyped-def]
    return client.post(f"/cases/{family.case.id}/docs/{story}/lezers", data=form)


@pytest.mark.parametrize(
    ("reader", "readable"),
    [
        ("aanspreekpunt", True),
        ("specialist", True),
        ("moeder", True),  # parent with gezag
        ("vader", False),  # parent without gezag
        ("oma", False),  # netwerk
    ],
)
def test_by_default_a_story_is_read_by_professionals_and_family_with_gezag_only(
    client: TestClient, family: Family, db: Session, reader: str, readable: bool
) -> None:
    story = _story(db, family)
    edit(db, story, _write("Ik wil weer naar school."), family.user("jongere").id)
    sign_in(client, family.user(reader))
    section = f"verhaal/{family.places['jongere'].id}"
    assert (section in _sections(client, family)) is readable
    page = client.get(f"/cases/{family.case.id}/docs/{story}")
    assert page.status_code == (200 if readable else 404)
    printed = client.get(f"/cases/{family.case.id}/print").text
    assert ("Ik wil weer naar school." in printed) is readable


def test_the_websocket_refuses_a_story_the_owner_did_not_open(
    client: TestClient, family: Family, db: Session, settings
) -> None:
    story = _story(db, family)
    token = accounts.start_session(db, user=family.user("oma"), settings=settings)
    headers = {"cookie": f"{SESSION_COOKIE}={token}", "origin": ORIGIN}
    with client.websocket_connect(f"/ws/docs/{story}", headers=headers) as ws:
        assert expect_close(ws) == 4403


def test_the_owner_opens_her_story_to_everyone_and_closes_it_again_at_once(
    client: TestClient, family: Family, db: Session, settings
) -> None:
    story = _story(db, family)
    edit(db, story, _write("Ik wil weer naar school."), family.user("jongere").id)
    sign_in(client, family.user("jongere"))
    page = client.get(f"/cases/{family.case.id}/docs/{story}/lezers")
    assert page.status_code == 200
    assert "Wie mag jouw verhaal lezen?" in page.text
    assert _choose(client, family, story, readers="everyone").status_code == 303
    client.post("/logout")
    sign_in(client, family.user("oma"))
    assert _sections(client, family)[f"verhaal/{family.places['jongere'].id}"] == "view"
    token = accounts.start_session(db, user=family.user("oma"), settings=settings)
    headers = {"cookie": f"{SESSION_COOKIE}={token}", "origin": ORIGIN}
    with client.websocket_connect(f"/ws/docs/{story}", headers=headers) as ws:
        oma = YClient(ws, field="hulpvraag").sync()
        assert oma.content() == "Ik wil weer naar school."
        client.post("/logout")
        sign_in(client, family.user("jongere"))
        _choose(client, family, story, readers="default")
        assert expect_close(ws) == 4403


def test_the_owner_may_keep_her_story_for_the_professionals_only(
    client: TestClient, family: Family, db: Session
) -> None:
    story = _story(db, family)
    sign_in(client, family.user("jongere"))
    _choose(client, family, story, readers="professionals")
    client.post("/logout")
    sign_in(client, family.user("moeder"))
    assert client.get(f"/cases/{family.case.id}/docs/{story}").status_code == 404
    client.post("/logout")
    sign_in(client, family.user("specialist"))
    assert client.get(f"/cases/{family.case.id}/docs/{story}").status_code == 200


def test_only_the_owner_chooses_who_reads_her_story(
    client: TestClient, family: Family, db: Session
) -> None:
    story = _story(db, family)
    sign_in(client, family.user("aanspreekpunt"))
    assert _choose(client, family, story, readers="everyone").status_code == 403
    assert client.get(f"/cases/{family.case.id}/docs/{story}/lezers").status_code == 403
    client.post("/logout")
    sign_in(client, family.user("vreemde"))
    assert _choose(client, family, story, readers="everyone").status_code == 404
    client.post("/logout")
    sign_in(client, family.user("jongere"))
    refused = _choose(client, family, story, readers="iedereen-en-de-buren")
    assert refused.status_code == 422
    assert "Kies wie je verhaal mag lezen." in refused.text


def test_the_owner_sees_what_the_aanspreekpunt_wrote_in_her_story(
    client: TestClient, family: Family, db: Session
) -> None:
    story = _story(db, family)
    edit(db, story, _write("Hulp bij school. "), family.user("aanspreekpunt").id)
    sign_in(client, family.user("jongere"))
    page = client.get(f"/cases/{family.case.id}/docs/{story}").text
    assert f"{family.user('aanspreekpunt').name} schreef voor jou" in page
    assert "(mijn hulpvraag)" in page.split("schreef voor jou", 1)[1]  # the field she wrote in


def test_a_youth_of_12_or_older_turns_off_writing_on_her_behalf(
    client: TestClient, family: Family, db: Session, settings
) -> None:
    story = _story(db, family)
    sign_in(client, family.user("jongere"))
    assert _choose(client, family, story, readers="default").status_code == 303  # box unticked
    client.post("/logout")
    sign_in(client, family.user("aanspreekpunt"))
    assert _sections(client, family)[f"verhaal/{family.places['jongere'].id}"] == "view"
    page = client.get(f"/cases/{family.case.id}/docs/{story}").text
    assert "alleen zelf in" in page
    token = live_session_token(db, family.user("aanspreekpunt"), settings)
    headers = {"cookie": f"{SESSION_COOKIE}={token}", "origin": ORIGIN}
    with client.websocket_connect(f"/ws/docs/{story}", headers=headers) as ws:
        wij = YClient(ws, field="hulpvraag").sync()
        wij.type("Toch schrijven")
        wij.barrier()
    assert str(stored_doc(db, story).get("hulpvraag", type=Text)) == ""  # dropped
    client.post("/logout")
    sign_in(client, family.user("jongere"))
    assert (
        _choose(client, family, story, readers="default", helper_writes="true").status_code == 303
    )
    client.post("/logout")
    sign_in(client, family.user("aanspreekpunt"))
    assert _sections(client, family)[f"verhaal/{family.places['jongere'].id}"] == "edit"


def test_a_youth_under_12_cannot_turn_off_writing_on_her_behalf(
    client: TestClient, family: Family, db: Session
) -> None:
    today = date.today()
    family.case.youth_birth_date = today.replace(year=today.year - 10, day=min(today.day, 28))
    db.add(family.case)
    db.commit()
    story = _story(db, family)
    sign_in(client, family.user("jongere"))
    assert "Als je 12 bent" in client.get(f"/cases/{family.case.id}/docs/{story}/lezers").text
    _choose(client, family, story, readers="default")
    client.post("/logout")
    sign_in(client, family.user("aanspreekpunt"))
    assert _sections(client, family)[f"verhaal/{family.places['jongere'].id}"] == "edit"


def test_share_pages_never_show_an_own_story_even_one_open_to_everyone(
    client: TestClient, family: Family, db: Session
) -> None:
    from app.services import consent, shares
    from app.services.access_bus import AccessBus

    story = _story(db, family)
    edit(db, story, _write("Mijn eigen woorden."), family.user("jongere").id)
    sign_in(client, family.user("jongere"))
    _choose(client, family, story, readers="everyone")
    for who in ("jongere", "moeder"):
        consent.decide(
            db,
            user=family.user(who),
            case_id=family.case.id,
            audience="netwerk",
            decision="given",
            bus=AccessBus(),
        )
    link = shares.create_share(
        db,
        actor=family.user("aanspreekpunt"),
        case_id=family.case.id,
        audience="netwerk",
        label="Oom",
        expires_in_days=7,
        scope=["plan", "perspectief", "analyse"],
        bus=AccessBus(),
    )
    client.cookies.clear()
    page = client.get(f"/gedeeld/{link.token}")
    assert page.status_code == 200
    assert "Mijn eigen woorden." not in page.text


def test_when_two_reader_choices_mean_the_same_people_the_page_says_so(
    client: TestClient, family: Family, db: Session, app
) -> None:  # type: ignore[no-untyped-def]
    from app.services import participants

    story = _story(db, family, owner="oma")
    sign_in(client, family.user("oma"))
    page = client.get(f"/cases/{family.case.id}/docs/{story}/lezers").text
    assert "dezelfde mensen als hierboven" not in page  # the father without gezag differs
    participants.remove_participant(
        db,
        actor=family.user("aanspreekpunt"),
        case_id=family.case.id,
        participant_id=family.places["vader"].id,  # type: ignore[arg-type]
        bus=app.state.access_bus,
    )
    page = client.get(f"/cases/{family.case.id}/docs/{story}/lezers").text
    assert page.count("dezelfde mensen als hierboven") == 1

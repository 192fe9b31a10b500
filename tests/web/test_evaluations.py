"""The evaluation round: the aanspreekpunt opens it before a zorgoverleg, everyone gives their
own scores on the case page, adopting the next version closes it; missing stays missing."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.dutch import dutch_date
from app.models import EvaluationAnswer, today
from app.services import consent, evaluations
from app.services.access_bus import AccessBus
from tests.conftest import Family, sign_in
from tests.progress_helpers import add_goal, adopt

MEETING = today() + timedelta(days=15)


def _open(client: TestClient, family: Family, meeting_date: str = "") -> None:
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(
        f"/cases/{family.case.id}/evaluatie/starten", data={"meeting_date": meeting_date}
    )
    assert response.status_code == 303, response.text


def _give(client: TestClient, family: Family, who: str, scores: dict[str, str]) -> Any:
    sign_in(client, family.user(who))
    return client.post(f"/cases/{family.case.id}/evaluatie", data=scores)


def _progress(client: TestClient, family: Family) -> dict[str, Any]:
    response = client.get(f"/api/cases/{family.case.id}/progress")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_an_open_round_asks_everyone_who_reads_the_plan_on_the_case_page(
    client: TestClient, family: Family, db: Session
) -> None:
    add_goal(db, family, "g1", "Weer naar school")
    add_goal(db, family, "g2", "Al gehaald", status="gehaald")
    add_goal(db, family, "g3", "Later beginnen", status="wacht")
    sign_in(client, family.user("jongere"))
    assert "Geef je cijfers" not in client.get(f"/cases/{family.case.id}").text
    _open(client, family, MEETING.isoformat())

    sign_in(client, family.user("jongere"))
    page = client.get(f"/cases/{family.case.id}").text
    ask = page.split('id="kop-evaluatie"')[1].split("</section>")[0]
    assert "Geef je cijfers voor het zorgoverleg" in page
    assert dutch_date(MEETING) in ask
    assert "Je hebt 0 van de 6 cijfers gegeven." in ask  # one goal still going, five domains
    assert "Doel: Weer naar school · " in ask and "Wonen · " in ask
    assert "Al gehaald" not in ask  # a reached goal is not scored again
    assert "Later beginnen" not in ask  # nor one that waits to be started
    form = client.get(f"/cases/{family.case.id}/evaluatie").text
    assert 'name="doel.g1"' in form and 'name="domein.welzijn"' in form
    assert 'name="doel.g2"' not in form

    sign_in(client, family.user("oma"))  # netwerk without consent: cannot read the plan
    assert "Geef je cijfers" not in client.get(f"/cases/{family.case.id}").text
    assert (
        "hoef je nu geen cijfers te geven" in client.get(f"/cases/{family.case.id}/evaluatie").text
    )
    refused = client.post(f"/cases/{family.case.id}/evaluatie", data={"domein.wonen": "5"})
    assert refused.status_code == 403
    for who in ("jongere", "moeder"):
        consent.decide(
            db,
            user=family.user(who),
            case_id=family.case.id,
            audience="netwerk",
            decision="given",
            bus=AccessBus(),
        )
    assert "Geef je cijfers" in client.get(f"/cases/{family.case.id}").text


def test_only_the_aanspreekpunt_opens_a_round_and_only_one_at_a_time(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("specialist"))
    assert client.post(f"/cases/{family.case.id}/evaluatie/starten").status_code == 403
    sign_in(client, family.user("vreemde"))
    assert client.post(f"/cases/{family.case.id}/evaluatie/starten").status_code == 404
    assert client.get(f"/cases/{family.case.id}/evaluatie").status_code == 404
    sign_in(client, family.user("aanspreekpunt"))
    wrong_date = client.post(
        f"/cases/{family.case.id}/evaluatie/starten", data={"meeting_date": "morgen"}
    )
    assert wrong_date.status_code == 422
    assert "Vul de datum in als dag, maand en jaar." in wrong_date.text
    assert 'value="morgen"' in wrong_date.text
    for when, said in [
        (today() - timedelta(days=1), "Die datum is al voorbij."),
        (date(2020, 1, 1), "Die datum is al voorbij."),
        (today() + timedelta(days=400), "meer dan een jaar vooruit"),
    ]:
        refused = client.post(
            f"/cases/{family.case.id}/evaluatie/starten", data={"meeting_date": when.isoformat()}
        )
        assert refused.status_code == 422 and said in refused.text, when
    _open(client, family)
    again = client.post(f"/cases/{family.case.id}/evaluatie/starten")
    assert again.status_code == 409
    assert "Er loopt al een evaluatieronde." in again.text


def test_scores_outside_0_to_10_are_refused_and_what_was_typed_stays(
    client: TestClient, family: Family, db: Session
) -> None:
    add_goal(db, family, "g1", "Weer naar school")
    _open(client, family)
    response = _give(
        client,
        family,
        "moeder",
        {"doel.g1": "11", "domein.wonen": "7,5", "domein.steun": "-1", "domein.welzijn": "6"},
    )
    assert response.status_code == 422
    text = response.text
    assert text.count("Kies een heel getal van 0 tot en met 10, of laat het leeg.") == 3
    assert 'value="11"' in text and 'value="7,5"' in text and 'value="6"' in text
    assert 'aria-invalid="true"' in text
    assert db.exec(select(EvaluationAnswer)).all() == []  # nothing stored, not even the 6


def test_everyones_own_scores_stand_side_by_side_and_missing_answers_show_as_missing(
    client: TestClient, family: Family, db: Session
) -> None:
    add_goal(db, family, "g1", "Weer naar school")
    _open(client, family)
    assert (
        _give(client, family, "jongere", {"doel.g1": "8", "domein.wonen": "9"}).status_code == 303
    )
    assert _give(client, family, "moeder", {"doel.g1": "3", "domein.wonen": "4"}).status_code == 303
    assert _give(client, family, "specialist", {"doel.g1": "0"}).status_code == 303

    sign_in(client, family.user("aanspreekpunt"))
    overview = client.get(f"/cases/{family.case.id}/evaluatie").text
    assert re.search(r"Jongere</span> <span class=\"tag\">2 van de 6", overview)
    before = client.get(f"/cases/{family.case.id}/versies").text
    assert "Er loopt een evaluatieronde: 0 van de 4 mensen hebben al hun cijfers gegeven." in before
    assert "Als je vaststelt, sluit de ronde." in before
    adopt(client, family, "Zorgoverleg december")

    body = _progress(client, family)
    goal = next(g for g in body["goals"] if g["id"] == "g1")
    by_name = {s["name"]: s["score"] for s in goal["scores"] if s["version"] == 1}
    assert by_name["Jongere"] == 8 and by_name["Moeder"] == 3
    assert by_name["Specialist"] == 0  # a real 0
    assert by_name["Wendy WIJ"] is None  # asked, no answer: missing, not 0
    assert "Oma" not in by_name  # not asked: cannot read the plan
    wonen = next(d for d in body["domains"] if d["domain"] == "wonen")
    assert {s["name"]: s["score"] for s in wonen["scores"]}["Jongere"] == 9

    page = client.get(f"/cases/{family.case.id}/voortgang").text
    goal_table = page.split('id="doel-1"')[1].split("</table>")[0]
    row = goal_table.split('<th scope="row">Versie 1')[1].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert cells[0] == "Loopt"
    assert {"8", "3", "0", "ontbreekt"} <= set(cells[1:])
    assert "gemiddeld" not in page.lower()


def test_adopting_a_version_closes_the_round_and_late_scores_are_refused_plainly(
    client: TestClient, family: Family, db: Session
) -> None:
    _open(client, family)
    sign_in(client, family.user("aanspreekpunt"))
    adopt(client, family, "Zorgoverleg")
    assert evaluations.open_round_of(db, case_id=family.case.id) is None
    late = _give(client, family, "jongere", {"domein.wonen": "7"})
    assert late.status_code == 409
    assert "Er loopt nu geen evaluatieronde." in late.text
    assert "Geef je cijfers" not in client.get(f"/cases/{family.case.id}").text
    # a new round can be opened for the next zorgoverleg
    _open(client, family)


def test_an_empty_field_takes_an_answer_back_and_never_counts_as_zero(
    client: TestClient, family: Family
) -> None:
    _open(client, family)
    assert _give(client, family, "jongere", {"domein.wonen": "6"}).status_code == 303
    assert 'value="6"' in client.get(f"/cases/{family.case.id}/evaluatie").text
    assert _give(client, family, "jongere", {"domein.wonen": ""}).status_code == 303
    sign_in(client, family.user("aanspreekpunt"))
    adopt(client, family, "Zorgoverleg")
    wonen = next(d for d in _progress(client, family)["domains"] if d["domain"] == "wonen")
    assert {s["name"]: s["score"] for s in wonen["scores"]}["Jongere"] is None


def test_open_requests_for_lists_the_rounds_where_a_person_still_has_scores_to_give(
    client: TestClient, family: Family, db: Session
) -> None:
    add_goal(db, family, "g1", "Weer naar school")
    assert evaluations.open_requests_for(db, family.user("jongere")) == []
    _open(client, family, MEETING.isoformat())
    waiting = evaluations.open_requests_for(db, family.user("jongere"))
    assert [(w.case.id, w.asked, w.answered, str(w.due)) for w in waiting] == [
        (family.case.id, 6, 0, MEETING.isoformat())
    ]
    assert evaluations.open_requests_for(db, family.user("oma")) == []  # not asked
    assert evaluations.open_requests_for(db, family.user("vreemde")) == []
    every = {"doel.g1": "5"} | {
        f"domein.{d}": "5" for d in ("steun", "wonen", "school_werk", "inkomen", "welzijn")
    }
    assert _give(client, family, "jongere", every).status_code == 303
    db.expire_all()
    assert evaluations.open_requests_for(db, family.user("jongere")) == []  # all given


def test_the_familys_start_page_asks_for_scores_until_all_are_given(
    client: TestClient, family: Family, db: Session
) -> None:
    _open(client, family, MEETING.isoformat())
    sign_in(client, family.user("moeder"))
    ask = "Geef je cijfers voor het zorgoverleg van 15 december 2026."
    home = client.get("/").text
    assert ask in home and "Je gaf er 0 van de 5." in home
    assert f'href="/cases/{family.case.id}/evaluatie"' in home
    sign_in(client, family.user("oma"))  # cannot read the plan, so not asked
    assert "Geef je cijfers" not in client.get("/").text
    every = {f"domein.{d}": "4" for d in ("steun", "wonen", "school_werk", "inkomen", "welzijn")}
    assert _give(client, family, "moeder", every).status_code == 303
    assert "Geef je cijfers" not in client.get("/").text


def test_the_json_api_opens_a_round_and_takes_scores_with_the_same_rules(
    client: TestClient, family: Family, db: Session
) -> None:
    add_goal(db, family, "g1", "Weer naar school")
    api = f"/api/cases/{family.case.id}/evaluation-round"
    sign_in(client, family.user("jongere"))
    assert client.post(api, json={}).status_code == 403
    assert client.post(f"{api}/scores", json={"scores": {"domein.wonen": 5}}).status_code == 409
    sign_in(client, family.user("aanspreekpunt"))
    meeting = (today() + timedelta(days=15)).isoformat()
    opened = client.post(api, json={"meeting_date": meeting})
    assert opened.status_code == 201 and opened.json()["meeting_date"] == meeting
    assert client.post(api, json={}).status_code == 409
    sign_in(client, family.user("jongere"))
    wrong = client.post(f"{api}/scores", json={"scores": {"doel.g1": 12, "domein.wonen": 5}})
    assert wrong.status_code == 422
    assert wrong.json()["fields"] == {"doel.g1": evaluations.SCORE_ERROR}
    given = client.post(f"{api}/scores", json={"scores": {"doel.g1": 7, "domein.wonen": 5}})
    assert given.status_code == 200 and given.json() == {"changed": 2}
    body = _progress(client, family)
    goal = next(g for g in body["goals"] if g["id"] == "g1")
    assert {s["name"]: s["score"] for s in goal["scores"]}["Jongere"] == 7
    assert body["evaluation_round"]["meeting_date"] == meeting
    sign_in(client, family.user("vreemde"))
    assert client.post(f"{api}/scores", json={"scores": {"domein.wonen": 5}}).status_code == 404


def test_letters_in_a_score_are_explained_and_kept_to_correct(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    _open(client, family, MEETING.isoformat())
    sign_in(client, family.user("jongere"))
    form = client.get(f"/cases/{family.case.id}/evaluatie").text
    field = re.search(r'<input class="score-input"[^>]*name="domein.wonen"[^>]*>', form)
    assert field is not None and 'type="text"' in field.group(0)  # letters reach the server
    assert 'inputmode="numeric"' in field.group(0)
    wrong = client.post(
        f"/cases/{family.case.id}/evaluatie", data={"domein.wonen": "zeven", "domein.steun": "6"}
    )
    assert wrong.status_code == 422
    assert evaluations.SCORE_ERROR in wrong.text
    assert 'value="zeven"' in wrong.text and 'value="6"' in wrong.text

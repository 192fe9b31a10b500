"""'Mijn gezinnen' is the professional's worklist: each kind of item for the demo family set
up to trigger it, search by name, filters, sorting, and the JSON API (professionals only)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import User, today
from app.services import cases, consent, demo_worklist, evaluations, shares, versions
from app.services.access_bus import AccessBus
from app.services.ages import birthday_in_year
from app.settings import Settings
from tests.conftest import Family, _years_ago, make_user, sign_in


@pytest.fixture
def visser(db: Session, family: Family, settings: Settings) -> str:
    """The demo family of the worklist, with the family's aanspreekpunt as theirs too."""
    return demo_worklist.seed_worklist_family(
        db, aanspreekpunt=family.user("aanspreekpunt"), suffix="-t", settings=settings
    )


def _items(client: TestClient, **params: str) -> list[dict[str, object]]:
    answer = client.get("/api/worklist", params=params)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()
    return items


def test_the_demo_family_shows_every_kind_of_item_in_the_api(
    client: TestClient, family: Family, visser: str
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    mine = [item for item in _items(client) if item["case_id"] == visser]
    kinds = {str(item["kind"]) for item in mine}
    assert {
        "evaluatie",
        "ronde",
        "akkoord",
        "toestemming",
        "leeftijd",
        "link",
        "activiteit",
    } <= kinds
    assert all(set(item) >= {"case_id", "label", "kind", "due", "detail"} for item in mine)
    by_kind = {item["kind"]: item for item in mine}
    evaluation = by_kind["evaluatie"]
    assert evaluation["overdue"] is True and str(evaluation["detail"]).endswith(
        ": 3 dagen te laat."
    )
    assert evaluation["due"] == (today() - timedelta(days=3)).isoformat()
    assert "Mila" in str(by_kind["akkoord"]["detail"])
    assert "Anouk" not in str(by_kind["akkoord"]["detail"])  # she answered already
    assert "school" in str(by_kind["toestemming"]["detail"])
    assert "Anouk Visser" in str(by_kind["toestemming"]["detail"])
    assert "wordt 16" in str(by_kind["leeftijd"]["detail"])
    assert by_kind["leeftijd"]["due"] == (today() + timedelta(days=20)).isoformat()
    assert "Oma Visser" in str(by_kind["link"]["detail"])
    assert by_kind["ronde"]["due"] == (today() + timedelta(days=10)).isoformat()
    scores = str(by_kind["ronde"]["detail"])
    assert "1 van 4 gaven al hun cijfers" in scores  # Mila did; her parents and Wendy not yet
    assert "Nog niet: Anouk Visser, Ruben Visser en jij." in scores and "Mila" not in scores
    assert all(item["label"] == "Gezin Visser" for item in mine)


def test_the_page_shows_each_item_with_overdue_said_in_words(
    client: TestClient, family: Family, visser: str
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    page = client.get("/").text
    assert "<h1>Mijn gezinnen</h1>" in page
    for words in (
        "Te laat", "Evaluatieronde", "Wacht op akkoord", "Toestemming", "Verjaardag", "Link stopt"
    ):  # fmt: skip
        assert words in page, words
    assert "Laatste activiteit:</span> Anouk Visser heeft een versie beoordeeld" in page
    assert f'href="/cases/{visser}/versies"' in page and f'href="/cases/{visser}/delen"' in page
    assert f'href="/cases/{visser}/evaluatie"' in page


def test_search_by_name_filters_and_sorting(
    client: TestClient, family: Family, visser: str
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    found = client.get("/", params={"q": "viss"}).text
    assert "Gezin Visser" in found and family.case.label not in found
    assert "1 gezin met ‘viss’ in de naam" in found
    none = client.get("/", params={"q": "bestaat niet"}).text
    assert "Geen gezin gevonden" in none
    late = client.get("/", params={"toon": "te_laat"}).text
    assert "Gezin Visser" in late and family.case.label not in late
    by_name = client.get("/", params={"sorteer": "naam"}).text
    assert by_name.index(family.case.label) < by_name.index(
        "Gezin Visser"
    )  # "Gezin Test" < "Gezin Visser"
    urgent = client.get("/", params={"sorteer": "urgent"}).text
    assert urgent.index("Gezin Visser") < urgent.index(family.case.label)  # overdue first
    only_links = _items(client, kind="link")
    assert only_links and all(item["kind"] == "link" for item in only_links)
    assert [i["label"] for i in _items(client, q="viss")] == ["Gezin Visser"] * len(
        _items(client, q="viss")
    )


def test_search_and_filter_answer_an_htmx_request_with_the_list_only(
    client: TestClient, family: Family, visser: str
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    fragment = client.get("/", params={"q": "viss"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith("{#") is False
    assert '<section id="werklijst"' in fragment.text and "<html" not in fragment.text
    assert fragment.headers["vary"] == "HX-Request"


def test_a_version_waiting_for_akkoord_names_who_has_not_answered(
    client: TestClient, family: Family, db: Session, settings: Settings
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    assert not [i for i in _items(client) if i["kind"] == "akkoord"]
    adopted = client.post(f"/api/cases/{family.case.id}/versions", json={"title": "Overleg"})
    assert adopted.status_code == 201
    versions.record_approval(
        db, actor=family.user("moeder"), case_id=family.case.id, number=1,
        decision="akkoord", remark="",
    )  # fmt: skip
    waiting = [i for i in _items(client) if i["kind"] == "akkoord"]
    assert len(waiting) == 1
    detail = str(waiting[0]["detail"])
    assert "Versie 1 wacht op akkoord van" in detail
    assert family.user("jongere").name in detail and family.user("moeder").name not in detail
    assert family.user("aanspreekpunt").name not in detail and " jou" in detail  # the reader


def test_an_open_evaluation_round_names_who_still_has_scores_to_give_until_everyone_did(
    client: TestClient, family: Family, db: Session, settings: Settings
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    assert not [i for i in _items(client) if i["kind"] == "ronde"]
    evaluations.open_round(
        db, actor=family.user("aanspreekpunt"), case_id=family.case.id, settings=settings
    )
    asked = evaluations.asked_participants(db, case_id=family.case.id)
    answers = {q.field_name: "7" for q in evaluations.current_questions(db, case_id=family.case.id)}
    evaluations.record_answers(
        db, actor=family.user("jongere"), case_id=family.case.id, form=answers
    )
    [item] = [i for i in _items(client) if i["kind"] == "ronde"]
    detail = str(item["detail"])
    assert item["due"] is None and "Evaluatieronde voor het zorgoverleg:" in detail
    assert f"1 van {len(asked)} gaven al hun cijfers" in detail
    assert "jij" in detail and family.user("moeder").name in detail
    assert family.user("jongere").name not in detail and family.user("oma").name not in detail
    for place in asked:
        user = db.get(User, place.user_id)
        assert user is not None
        evaluations.record_answers(db, actor=user, case_id=family.case.id, form=answers)
    assert not [i for i in _items(client) if i["kind"] == "ronde"]


def test_consent_that_must_be_asked_again_after_a_birthday_is_on_the_list(
    client: TestClient, family: Family, db: Session
) -> None:
    yesterday = today() - timedelta(days=1)
    for who in ("jongere", "moeder"):
        consent.decide(
            db, user=family.user(who), case_id=family.case.id, audience="school",
            decision="given", bus=AccessBus(), on=yesterday,
        )  # fmt: skip
    family.case.youth_birth_date = birthday_in_year(today(), -16)  # 16 today
    db.add(family.case)
    db.commit()
    sign_in(client, family.user("aanspreekpunt"))
    asked = [i for i in _items(client) if i["kind"] == "toestemming"]
    assert len(asked) == 1 and "moet opnieuw" in str(asked[0]["detail"])


@pytest.mark.parametrize("years", [12, 16, 18])
def test_a_birthday_that_changes_the_age_band_within_30_days_is_on_the_list(
    client: TestClient, family: Family, db: Session, years: int
) -> None:
    birthday = today() + timedelta(days=29)
    family.case.youth_birth_date = birthday_in_year(birthday, -years)
    db.add(family.case)
    db.commit()
    sign_in(client, family.user("aanspreekpunt"))
    ages = [i for i in _items(client) if i["kind"] == "leeftijd"]
    assert len(ages) == 1 and f"wordt {years}" in str(ages[0]["detail"])
    family.case.youth_birth_date = birthday_in_year(today() + timedelta(days=31), -years)
    db.add(family.case)
    db.commit()
    assert not [i for i in _items(client) if i["kind"] == "leeftijd"]


def test_a_link_that_stops_within_seven_days_is_on_the_list_and_a_later_one_is_not(
    client: TestClient, family: Family, db: Session
) -> None:
    for who in ("jongere", "moeder"):
        consent.decide(
            db, user=family.user(who), case_id=family.case.id, audience="school",
            decision="given", bus=AccessBus(),
        )  # fmt: skip
    for label, days in (("Mentor kort", 7), ("Mentor lang", 8)):
        shares.create_share(
            db, actor=family.user("aanspreekpunt"), case_id=family.case.id, audience="school",
            label=label, expires_in_days=days, bus=AccessBus(),
        )  # fmt: skip
    sign_in(client, family.user("aanspreekpunt"))
    links = [str(i["detail"]) for i in _items(client) if i["kind"] == "link"]
    assert len(links) == 1 and "Mentor kort" in links[0]


def test_an_evaluation_date_ahead_is_shown_without_overdue(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    ahead = (today() + timedelta(days=10)).isoformat()
    client.post(
        f"/api/cases/{family.case.id}/versions",
        json={"title": "Overleg", "next_evaluation_date": ahead},
    )
    evaluation = [i for i in _items(client) if i["kind"] == "evaluatie"]
    assert evaluation[0]["due"] == ahead and evaluation[0]["overdue"] is False
    assert "over 10 dagen" in str(evaluation[0]["detail"])
    assert "Te laat" not in client.get("/").text


def test_the_family_and_their_network_have_no_worklist(client: TestClient, family: Family) -> None:
    for who in ("jongere", "moeder", "oma", "vreemde"):
        sign_in(client, family.user(who))
        refused = client.get("/api/worklist")
        assert refused.status_code == 403, who
        assert refused.json()["detail"].startswith("De werklijst is alleen voor hulpverleners")
        client.post("/logout")
    assert client.get("/api/worklist").status_code == 401


def test_a_professional_sees_only_the_families_they_work_with(
    client: TestClient, family: Family, db: Session, visser: str
) -> None:
    sign_in(client, family.user("specialist"))
    labels = {i["label"] for i in _items(client)}
    assert "Gezin Visser" not in labels  # the specialist is not in that family
    other = make_user(db, "Andere WIJ", professional=True)
    cases.create_case(
        db, actor=other, label="Gezin Ander", youth_birth_date=_years_ago(9).isoformat()
    )
    sign_in(client, family.user("aanspreekpunt"))
    assert "Gezin Ander" not in {i["label"] for i in _items(client)}
    assert "Gezin Ander" not in client.get("/").text


def test_a_professional_without_families_gets_an_empty_list(
    client: TestClient, db: Session
) -> None:
    newcomer: User = make_user(db, "Nieuwe Hulpverlener", professional=True)
    sign_in(client, newcomer)
    assert _items(client) == []
    assert "Je bent nog bij geen enkel gezin betrokken." in client.get("/").text


def test_unknown_filter_and_sort_values_fall_back_to_everything_soonest_first(
    client: TestClient, family: Family, visser: str
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    page = client.get("/", params={"toon": "<script>", "sorteer": "x", "q": "a" * 500})
    assert page.status_code == 200
    assert "<script>" not in re.sub(r"<script src=[^>]+></script>", "", page.text)
    assert date.today()  # the page still answers in full


def test_only_what_is_late_lists_only_the_late_items_of_a_family(
    client: TestClient, family: Family, visser: str
) -> None:
    sign_in(client, family.user("aanspreekpunt"))

    def listed(show: str) -> str:  # the list alone, without the form's options
        return client.get("/", params={"toon": show}, headers={"HX-Request": "true"}).text

    late = listed("te_laat")
    assert "Gezin Visser" in late
    items = re.findall(r'<li class="work-item([^"]*)">', late)
    assert items == [" overdue"]  # the evaluation three days late, and nothing else
    for not_late in ("Wacht op akkoord", "Verjaardag", "Link stopt", "Evaluatieronde"):
        assert not_late not in late, not_late
    birthdays = listed("leeftijd")
    assert "Verjaardag" in birthdays and "Wacht op akkoord" not in birthdays
    everything = listed("")
    assert all(kind in everything for kind in ("Te laat", "Wacht op akkoord", "Verjaardag"))


def test_going_back_to_a_searched_list_renders_the_whole_page_with_its_choices(
    client: TestClient, family: Family, visser: str
) -> None:
    """Back to an address htmx pushed: htmx keeps no copy and asks the server for the page;
    the fields show what the address says (a copy would show the choices of page load)."""
    sign_in(client, family.user("aanspreekpunt"))
    page = client.get(
        "/",
        params={"q": "gezin", "toon": "te_doen", "sorteer": "naam"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    ).text
    assert "<html" in page and "<h1>Mijn gezinnen</h1>" in page
    assert re.search(r'<option value="naam"\s+selected>', page)
    assert re.search(r'<option value="te_doen"\s+selected>', page)
    assert 'id="f-q" name="q" value="gezin"' in page
    assert len(re.findall(r"<option[^>]*selected", page)) == 2
    base = client.get("/").text
    assert '"historyCacheSize": 0' in base  # no copy of a page in the browser's storage

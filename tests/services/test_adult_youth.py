"""From the 18th birthday the youth is an adult: gezag ends, and parents read only what the
youth allows (the consent for family and network, which the youth alone gives)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Section, today
from app.services import consent, documents, stories
from app.services.access_bus import AccessBus
from app.services.ages import AgeBand, birthday_in_year
from app.services.errors import Forbidden, NotFound
from tests.conftest import Family, sign_in
from tests.crdt.conftest import doc_id_of


def _make_adult(db: Session, family: Family, years: int = 18) -> None:
    family.case.youth_birth_date = birthday_in_year(today(), -years)  # the birthday is today
    db.add(family.case)
    db.commit()


def _sections(db: Session, family: Family, who: str) -> set[str]:
    found = documents.documents_for_user(db, user=family.user(who), case_id=family.case.id)
    return {d.section_name for d in found}


def test_a_parent_with_gezag_reads_everything_the_day_before_the_18th_birthday(
    db: Session, family: Family
) -> None:
    _make_adult(db, family, years=17)
    seen = _sections(db, family, "moeder")
    assert {"analyse", "plan", "perspectief", "veiligheid"} <= seen


def test_from_18_a_parent_reads_nothing_shared_without_the_youths_consent(
    db: Session, family: Family
) -> None:
    _make_adult(db, family)
    youth_story = f"verhaal/{family.places['jongere'].id}"
    mother = _sections(db, family, "moeder")
    assert mother.isdisjoint({"analyse", "plan", "perspectief", "veiligheid", youth_story})
    assert f"verhaal/{family.places['moeder'].id}" in mother  # her own story stays hers
    for section in (Section.analyse, Section.veiligheid):
        with pytest.raises(NotFound):
            documents.document_access(
                db, user=family.user("moeder"), doc_id=doc_id_of(db, family, section)
            )
    # the youth and the professionals keep their access
    assert {"analyse", "veiligheid"} <= _sections(db, family, "jongere")
    assert {"analyse", "veiligheid"} <= _sections(db, family, "aanspreekpunt")


def test_from_18_the_youth_alone_decides_and_then_parents_read_but_never_veiligheid(
    db: Session, family: Family
) -> None:
    _make_adult(db, family)
    state = consent.consent_state(db, family.case.id, "netwerk")
    assert state.age_band == AgeBand.from_18
    assert [r.role for r in state.requirements] == ["jongere"]
    with pytest.raises(Forbidden, match="18 of ouder"):
        consent.decide(
            db, user=family.user("moeder"), case_id=family.case.id, audience="netwerk",
            decision="given", bus=AccessBus(),
        )  # fmt: skip
    consent.decide(
        db, user=family.user("jongere"), case_id=family.case.id, audience="netwerk",
        decision="given", bus=AccessBus(),
    )  # fmt: skip
    story = f"verhaal/{family.places['jongere'].id}"
    mother = _sections(db, family, "moeder")
    assert {"analyse", "plan", "perspectief"} <= mother
    assert "veiligheid" not in mother
    # Her own story stays hers: her mother reads it once she opens it to everyone.
    assert story not in mother
    stories.set_story_choices(
        db,
        user=family.user("jongere"),
        case_id=family.case.id,
        doc_id=doc_id_of(db, family, Section.verhaal, owner="jongere"),
        readers="everyone",
        helper_writes=True,
        bus=AccessBus(),
    )
    assert story in _sections(db, family, "moeder")
    access = documents.document_access(
        db, user=family.user("moeder"), doc_id=doc_id_of(db, family, Section.plan)
    )
    assert access.access == "view"


def test_consent_given_at_16_must_be_given_again_at_18(db: Session, family: Family) -> None:
    _make_adult(db, family)
    yesterday = today().fromordinal(today().toordinal() - 1)
    consent.decide(
        db, user=family.user("jongere"), case_id=family.case.id, audience="netwerk",
        decision="given", bus=AccessBus(), on=yesterday,
    )  # fmt: skip
    state = consent.consent_state(db, family.case.id, "netwerk")
    assert not state.complete and state.ask_again == [family.user("jongere").name]


def test_the_documents_api_and_the_pages_follow_the_adult_rule(
    client: TestClient, db: Session, family: Family
) -> None:
    _make_adult(db, family)
    sign_in(client, family.user("moeder"))
    listed = client.get(f"/api/cases/{family.case.id}/documents").json()
    assert {d["section"] for d in listed}.isdisjoint({"analyse", "plan", "veiligheid"})
    page = client.get(f"/cases/{family.case.id}/docs/{doc_id_of(db, family, Section.plan)}")
    assert page.status_code == 404

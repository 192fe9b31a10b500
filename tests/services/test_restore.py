"""A restore changes only what the restorer may write in at the moment it writes."""

from __future__ import annotations

from typing import Any

import anyio
from pycrdt import Doc, Text
from sqlmodel import Session

from app.crdt.schema import read_document
from app.models import Document, DocumentUpdate
from app.services import restore, versions
from app.settings import Settings
from tests.conftest import Family
from tests.docs_helpers import document_id, edit, stored_doc


class StoredDocuments:
    """The live documents as the store holds them (no room server): enough to see what a
    restore writes, and as whom."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.applied: list[tuple[str, int | None]] = []

    async def current_state(self, doc_id: str) -> bytes:
        return stored_doc(self.db, doc_id).get_update()

    async def apply_server_update(
        self, doc_id: str, update: bytes, *, author_user_id: int | None
    ) -> None:
        self.db.add(
            DocumentUpdate(document_id=doc_id, update=update, author_user_id=author_user_id)
        )
        self.db.commit()
        self.applied.append((doc_id, author_user_id))

    def announce(self, doc_id: str, notice: dict[str, Any]) -> None:
        pass


def _tell(text: str):  # type: ignore[no-untyped-def]
    def change(doc: Doc) -> None:
        question = doc.get("hulpvraag", type=Text)
        del question[:]
        question.insert(0, text)

    return change


def test_a_story_whose_owner_turns_off_writing_during_a_restore_is_left_alone(
    db: Session, family: Family, settings: Settings
) -> None:
    youth = family.places["jongere"]
    wij = family.user("aanspreekpunt")
    story = document_id(db, family.case.id, "verhaal", youth.id)
    analysis = document_id(db, family.case.id, "analyse")
    edit(db, story, _tell("Ik wil weer naar school."), family.user("jongere").id)
    doc_ids = versions.documents_to_freeze(db, actor=wij, case_id=family.case.id)
    versions.adopt(
        db,
        actor=wij,
        case_id=family.case.id,
        title="Zorgoverleg maart",
        states={d: stored_doc(db, d).get_update() for d in doc_ids},
        settings=settings,
    )
    edit(db, story, _tell("Ik wil een bijbaantje."), family.user("jongere").id)
    edit(db, analysis, lambda doc: doc.get("krachten", type=Text).insert(0, "Nieuw. "), None)
    # The restoring request already holds the story's choices as they were (writing allowed)
    # when the youth turns writing on her behalf off, from her own session.
    held = db.get(Document, story)
    assert held is not None and held.helper_writes
    with Session(db.get_bind()) as hers:
        document = hers.get(Document, story)
        assert document is not None
        document.helper_writes = False
        hers.add(document)
        hers.commit()
    live = StoredDocuments(db)

    outcome = anyio.run(
        lambda: restore.restore_version(db, actor=wij, case_id=family.case.id, number=1, live=live)
    )

    assert outcome.not_restored == [story]
    assert live.applied == [(analysis, wij.id)]  # what she may still write in is restored
    text = read_document(f"verhaal/{youth.id}", stored_doc(db, story))["hulpvraag"]
    assert str(text) == "Ik wil een bijbaantje."
    lines = restore.not_restored_lines(
        db, user=wij, case_id=family.case.id, document_ids=outcome.not_restored
    )
    assert [(line.owner_name, line.title) for line in lines] == [
        (family.user("jongere").name, f"Het verhaal van {family.user('jongere').name}")
    ]

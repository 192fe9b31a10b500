"""Put content in a case's CRDT documents the way an editor would (one logged update), and
read back what a printed PDF says."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from pycrdt import Doc
from sqlmodel import Session, select

from app.crdt import store
from app.models import Document, DocumentUpdate, Section


def document_id(db: Session, case_id: str, section: str, owner: int | None = None) -> str:
    query = select(Document).where(
        Document.case_id == case_id, Document.section == Section(section)
    )
    if owner is not None:
        query = query.where(Document.owner_participant_id == owner)
    return db.exec(query).one().id


def stored_doc(db: Session, doc_id: str) -> Doc:
    """The document as stored: newest snapshot and the updates after it."""
    return store.stored_doc(db.connection(), doc_id)


def edit(db: Session, doc_id: str, change: Callable[[Doc], None], author_id: int | None) -> None:
    """Apply ``change`` to the stored document and log the resulting update."""
    doc = stored_doc(db, doc_id)
    before = doc.get_state()
    with doc.transaction():
        change(doc)
    db.add(
        DocumentUpdate(document_id=doc_id, update=doc.get_update(before), author_user_id=author_id)
    )
    db.commit()


def pdf_text(client: TestClient, path: str, tmp_path: Path, *, layout: bool = False) -> str:
    """The text of the PDF at ``path`` (pdftotext; ``layout`` keeps columns side by side)."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(response.content)
    command = ["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout

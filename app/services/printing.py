"""What goes on paper for the zorgoverleg: only what this reader may read.

The caller passes the document states (live ones for a CONCEPT, frozen ones for a version);
this module decides which documents the reader may see and turns them into plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.crdt.restore import load_doc
from app.crdt.schema import read_document, section_schema, section_title
from app.models import Case, Participant, Section, User, Version
from app.services import cases, documents, progress, versions
from app.services.membership import Member, active_members, names_of


@dataclass
class PrintedSection:
    key: str
    title: str
    schema: dict[str, Any]
    data: dict[str, Any]


@dataclass
class Story:
    owner: str
    role_label: str
    data: dict[str, Any]


@dataclass
class PrintModel:
    case: Case
    reader: User
    reader_place: Participant
    youth_age: int
    members: list[Member]
    names: dict[int, str]
    version: versions.VersionView | None
    decisions_from: versions.VersionView | None
    sections: dict[str, PrintedSection] = field(default_factory=dict)
    stories: list[Story] = field(default_factory=list)
    progress: progress.Progress | None = None

    @property
    def is_adopted(self) -> bool:
        return self.version is not None


def build(
    session: Session,
    *,
    user: User,
    case_id: str,
    states: dict[str, bytes],
    version: Version | None,
    with_progress: bool = False,
) -> PrintModel:
    """Collect what ``user`` may read of the case into a model for the print template;
    ``with_progress``: also the progress across versions up to this one (or up to now), with
    "klaar om los te laten?" for everyone who prints it (the paper is for the zorgoverleg)."""
    mine = cases.case_for(session, user=user, case_id=case_id)
    members = active_members(session, case_id=case_id)
    names = names_of(members)
    latest = version or versions.latest_version(session, case_id=case_id)
    # the version as this reader may see it: its decisions and remarks only with the plan
    shown = versions.view_of(session, version=latest, reader=mine.participant) if latest else None
    model = PrintModel(
        case=mine.case,
        reader=user,
        reader_place=mine.participant,
        youth_age=mine.youth_age,
        members=members,
        names=names,
        version=shown if version else None,
        decisions_from=shown,
    )
    for access in documents.documents_for_user(session, user=user, case_id=case_id):
        document = access.document
        key = access.section_name
        doc = load_doc(states.get(document.id, b""))
        if document.section == Section.verhaal:
            owner = names.get(document.owner_participant_id or 0)
            if owner is None:
                continue
            owner_id = document.owner_participant_id
            role_label = next((m.role_label for m in members if m.participant.id == owner_id), "")
            model.stories.append(Story(owner, role_label, read_document(key, doc)))
        else:
            model.sections[key] = PrintedSection(
                key=key,
                title=section_title(key),
                schema=section_schema(key),
                data=read_document(key, doc),
            )
    if with_progress:
        model.progress = progress.build(
            session,
            user=user,
            case_id=case_id,
            now_states=None if version else states,
            upto=version,
            for_print=True,
        )
    return model

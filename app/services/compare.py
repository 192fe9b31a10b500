"""What changed between two versions of a case (or a version and now), in words (not JSON):
per document the reader may read, every change and who made changes in between."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.crdt.restore import load_doc
from app.crdt.schema import options, read_document, section_schema, section_title, whole_number
from app.models import Case, User, Version, VersionDocument
from app.services import cases, documents, versions
from app.services.display import display_value, item_title
from app.services.errors import NotFound
from app.services.membership import active_members, names_of


@dataclass(frozen=True)
class Change:
    where: str
    kind: str  # "toegevoegd", "verwijderd" or "gewijzigd"
    before: str = ""
    after: str = ""
    # Where the change is in the editor (its ``data-path``): ``<text root>``,
    # ``<record root>/<field>``, ``<list root>/<item id>/<field>`` (deeper for nested lists),
    # ``<list root>/<item id>`` for a whole item added or removed, ``<key>/<participant>/<field>``.
    path: str = ""


@dataclass
class SectionChanges:
    section: str
    title: str
    changes: list[Change] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Comparison:
    """What to compare: version ``before`` with version ``after``, or with now (None)."""

    case: Case
    history: list[Version]
    before: Version
    after: Version | None
    readable: list[documents.DocumentAccess]
    names: dict[int, str]

    @property
    def live_document_ids(self) -> list[str]:
        """The documents whose live state the comparison needs (none between two versions)."""
        return [d.document.id for d in self.readable] if self.after is None else []


def comparison(session: Session, *, user: User, case_id: str, van: int, naar: str) -> Comparison:
    """Version ``van`` (0: the newest one) against version ``naar`` or ``'nu'`` (now), for what
    ``user`` may read. NotFound while the case has no version, or for an unknown number."""
    mine = cases.case_for(session, user=user, case_id=case_id)
    history = versions.list_versions(session, case_id=case_id)
    if not history:
        raise NotFound("Er is nog geen versie vastgesteld om mee te vergelijken.")
    # newest first: by default, what changed since the version adopted last
    before = versions.get_version(session, case_id=case_id, number=van or history[0].number)
    after = None
    if naar != "nu":
        number = whole_number(naar)
        after = versions.get_version(
            session, case_id=case_id, number=-1 if number is None else number
        )
    return Comparison(
        case=mine.case,
        history=history,
        before=before,
        after=after,
        readable=documents.documents_for_user(session, user=user, case_id=case_id),
        names=names_of(active_members(session, case_id=case_id)),
    )


def changes(
    session: Session, wanted: Comparison, *, live_states: dict[str, bytes]
) -> list[SectionChanges]:
    """Per readable document, what changed (``live_states``: see ``live_document_ids``)."""
    before_rows = versions.version_documents(session, version=wanted.before)
    after_rows: dict[str, VersionDocument] = {}
    after_states = live_states
    if wanted.after is not None:
        after_rows = versions.version_documents(session, version=wanted.after)
        after_states = {d: row.state for d, row in after_rows.items()}
    result = []
    for access in wanted.readable:
        document = access.document
        key = access.section_name
        before_row = before_rows.get(document.id)
        before = read_document(key, load_doc(before_row.state if before_row else b""))
        after = read_document(key, load_doc(after_states.get(document.id, b"")))
        owner = wanted.names.get(document.owner_participant_id or 0)
        found = SectionChanges(
            section=key,
            title=section_title(key, owner_name=owner),
            changes=diff_section(key, before, after, wanted.names),
        )
        if found.changes:
            after_row = after_rows.get(document.id)
            found.authors = versions.authors_between(
                session,
                document_id=document.id,
                after_update_id=before_row.upto_update_id if before_row else 0,
                upto_update_id=after_row.upto_update_id if after_row else None,
            )
        result.append(found)
    return result


def diff_section(
    section: str, before: dict[str, Any], after: dict[str, Any], names: dict[int, str]
) -> list[Change]:
    """Every difference between two ``read_document`` results of the same section."""
    changes: list[Change] = []
    for block in section_schema(section)["blocks"]:
        key, label = block["key"], block["label"]
        old, new = before.get(key), after.get(key)
        if block.get("groups"):
            for option in options(block["groups"]):
                where = f"{label} › {option['label']}"
                root = f"{key}.{option['value']}"
                old_group = (old or {}).get(option["value"])
                new_group = (new or {}).get(option["value"])
                if block["kind"] == "list":
                    _diff_list(
                        block["item"], old_group or [], new_group or [], where, names, changes, root
                    )
                else:
                    _diff_record(
                        block["fields"],
                        old_group or {},
                        new_group or {},
                        where,
                        names,
                        changes,
                        root,
                    )
        elif block["kind"] == "text":
            _diff_text(label, old or "", new or "", changes, key)
        elif block["kind"] == "list":
            _diff_list(block["item"], old or [], new or [], label, names, changes, key)
        elif block["kind"] == "record":
            _diff_record(block["fields"], old or {}, new or {}, label, names, changes, key)
        elif block["kind"] == "per_participant":
            for pid in sorted(set(old or {}) | set(new or {}), key=str):
                number = whole_number(str(pid))
                who = names.get(number, "iemand") if number is not None else str(pid)
                before_answer = (old or {}).get(pid) or {}
                after_answer = (new or {}).get(pid) or {}
                _diff_record(
                    block["fields"],
                    before_answer,
                    after_answer,
                    f"{label} › {who}",
                    names,
                    changes,
                    f"{key}/{pid}",
                )
    return changes


def _diff_text(where: str, old: str, new: str, changes: list[Change], path: str) -> None:
    if old.strip() != new.strip():
        kind = "toegevoegd" if not old.strip() else "verwijderd" if not new.strip() else "gewijzigd"
        changes.append(Change(where, kind, old.strip(), new.strip(), path))


def _diff_record(
    fields: list[dict[str, Any]],
    old: dict[str, Any],
    new: dict[str, Any],
    where: str,
    names: dict[int, str],
    changes: list[Change],
    path: str,
) -> None:
    for f in fields:
        if f["kind"] == "list":
            _diff_list(
                f["item"],
                old.get(f["key"]) or [],
                new.get(f["key"]) or [],
                f"{where} › {f['label']}",
                names,
                changes,
                f"{path}/{f['key']}",
            )
            continue
        before = display_value(f, old.get(f["key"]), names)
        after = display_value(f, new.get(f["key"]), names)
        _diff_text(f"{where} › {f['label']}", before, after, changes, f"{path}/{f['key']}")


def _diff_list(
    item_schema: dict[str, Any],
    old: list[dict[str, Any]],
    new: list[dict[str, Any]],
    where: str,
    names: dict[int, str],
    changes: list[Change],
    path: str,
) -> None:
    old_by_id = {item["id"]: (i, item) for i, item in enumerate(old, start=1)}
    new_by_id = {item["id"]: (i, item) for i, item in enumerate(new, start=1)}
    for item_id, (index, item) in old_by_id.items():
        if item_id not in new_by_id:
            title = f"{where} › {item_title(item_schema, item, index)}"
            changes.append(Change(title, "verwijderd", path=f"{path}/{item_id}"))
    for item_id, (index, item) in new_by_id.items():
        title = f"{where} › {item_title(item_schema, item, index)}"
        if item_id not in old_by_id:
            summary = _summary(item_schema, item, names)
            changes.append(Change(title, "toegevoegd", after=summary, path=f"{path}/{item_id}"))
        else:
            _diff_record(
                item_schema["fields"],
                old_by_id[item_id][1],
                item,
                title,
                names,
                changes,
                f"{path}/{item_id}",
            )


def _summary(item_schema: dict[str, Any], item: dict[str, Any], names: dict[int, str]) -> str:
    parts = []
    for f in item_schema["fields"]:
        value = display_value(f, item.get(f["key"]), names)
        if value:
            parts.append(f"{f['label']} {value}")
    return " · ".join(parts)

"""What changed between two states of a document, in words (not JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.crdt.schema import options, section_schema
from app.services.display import display_value, item_title


@dataclass(frozen=True)
class Change:
    where: str
    kind: str  # "toegevoegd", "verwijderd" or "gewijzigd"
    before: str = ""
    after: str = ""


@dataclass
class SectionChanges:
    section: str
    title: str
    changes: list[Change] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)


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
                old_group = (old or {}).get(option["value"])
                new_group = (new or {}).get(option["value"])
                if block["kind"] == "list":
                    _diff_list(
                        block["item"], old_group or [], new_group or [], where, names, changes
                    )
                else:
                    _diff_record(
                        block["fields"], old_group or {}, new_group or {}, where, names, changes
                    )
        elif block["kind"] == "text":
            _diff_text(label, old or "", new or "", changes)
        elif block["kind"] == "list":
            _diff_list(block["item"], old or [], new or [], label, names, changes)
        elif block["kind"] == "record":
            _diff_record(block["fields"], old or {}, new or {}, label, names, changes)
        elif block["kind"] == "per_participant":
            for pid in sorted(set(old or {}) | set(new or {}), key=str):
                who = names.get(int(pid), "iemand") if str(pid).isdigit() else str(pid)
                before_answer = (old or {}).get(pid) or {}
                after_answer = (new or {}).get(pid) or {}
                _diff_record(
                    block["fields"], before_answer, after_answer, f"{label} › {who}", names, changes
                )
    return changes


def _diff_text(where: str, old: str, new: str, changes: list[Change]) -> None:
    if old.strip() != new.strip():
        kind = "toegevoegd" if not old.strip() else "verwijderd" if not new.strip() else "gewijzigd"
        changes.append(Change(where, kind, old.strip(), new.strip()))


def _diff_record(
    fields: list[dict[str, Any]],
    old: dict[str, Any],
    new: dict[str, Any],
    where: str,
    names: dict[int, str],
    changes: list[Change],
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
            )
            continue
        before = display_value(f, old.get(f["key"]), names)
        after = display_value(f, new.get(f["key"]), names)
        _diff_text(f"{where} › {f['label']}", before, after, changes)


def _diff_list(
    item_schema: dict[str, Any],
    old: list[dict[str, Any]],
    new: list[dict[str, Any]],
    where: str,
    names: dict[int, str],
    changes: list[Change],
) -> None:
    old_by_id = {item["id"]: (i, item) for i, item in enumerate(old, start=1)}
    new_by_id = {item["id"]: (i, item) for i, item in enumerate(new, start=1)}
    for item_id, (index, item) in old_by_id.items():
        if item_id not in new_by_id:
            title = f"{where} › {item_title(item_schema, item, index)}"
            changes.append(Change(title, "verwijderd"))
    for item_id, (index, item) in new_by_id.items():
        title = f"{where} › {item_title(item_schema, item, index)}"
        if item_id not in old_by_id:
            changes.append(Change(title, "toegevoegd", after=_summary(item_schema, item, names)))
        else:
            _diff_record(item_schema["fields"], old_by_id[item_id][1], item, title, names, changes)


def _summary(item_schema: dict[str, Any], item: dict[str, Any], names: dict[int, str]) -> str:
    parts = []
    for f in item_schema["fields"]:
        value = display_value(f, item.get(f["key"]), names)
        if value:
            parts.append(f"{f['label']} {value}")
    return " · ".join(parts)

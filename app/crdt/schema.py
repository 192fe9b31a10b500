"""The schema of the CRDT documents (``schema.json``), shared with the browser editor.

``read_document`` turns a pycrdt ``Doc`` into plain Python data that follows the schema, for
print, share pages and version compare. It only reads: getting a root type that does not
exist yet creates no update.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

from pycrdt import Array, Doc, Map, Text

SCHEMA_PATH = Path(__file__).with_name("schema.json")
# A list item is soft-deleted by setting these on it (see "about" in schema.json).
DELETED_AT = "verwijderd_op"
DELETED_BY = "verwijderd_door"
# How long the editor lists a deleted item under "Verwijderd" (KEEP_DELETED_DAYS in model.js).
KEEP_DELETED_DAYS = 30
_ID_DIGITS = re.compile(r"[0-9]{1,18}")


@cache
def load_schema() -> dict[str, Any]:
    """The whole schema as parsed JSON (cached; treat it as read-only)."""
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


def base_section(section: str) -> str:
    """``'verhaal/12'`` → ``'verhaal'``; other section names stay as they are."""
    return section.split("/", 1)[0]


def section_schema(section: str) -> dict[str, Any]:
    """The schema of one section (accepts ``'verhaal/<participant id>'``); KeyError if unknown."""
    return load_schema()["sections"][base_section(section)]  # type: ignore[no-any-return]


def section_title(section: str, *, owner_name: str | None = None) -> str:
    """Dutch title of a section, e.g. 'Het verhaal van Sanne'."""
    title: str = section_schema(section)["title"]
    return title.replace("{naam}", owner_name or "een deelnemer")


def options(name: str) -> list[dict[str, str]]:
    """An option list by name: ``[{"value", "label"}, …]``."""
    return load_schema()["option_lists"][name]  # type: ignore[no-any-return]


def option_label(list_name: str, value: str | None) -> str:
    """The Dutch label of an option value ('' for an empty or unknown value)."""
    for option in options(list_name):
        if option["value"] == value:
            return option["label"]
    return ""


@cache
def root_kinds(section: str) -> dict[str, str]:
    """Every root shared type a document of ``section`` may have: name → ``'text'``,
    ``'array'`` or ``'map'`` (the server refuses updates that create any other root)."""
    kinds: dict[str, str] = {}
    for block in section_schema(section)["blocks"]:
        groups = block.get("groups")
        roots = (
            [f"{block['key']}.{option['value']}" for option in options(groups)]
            if groups
            else [block["key"]]
        )
        kind = block["kind"]
        for root in roots:
            if kind == "text":
                kinds[root] = "text"
            elif kind == "list":
                kinds[root] = "array"
            elif kind in ("record", "per_participant"):
                kinds[root] = "map"
                if kind == "record":
                    for field in block["fields"]:
                        if field["kind"] in ("text", "line"):
                            kinds[f"{root}.{field['key']}"] = "text"
            else:
                raise ValueError(f"unknown block kind {kind!r}")
    return kinds


def read_document(section: str, doc: Doc) -> dict[str, Any]:
    """Plain data of ``doc`` following the schema of ``section``.

    Texts become str, lists become lists of dicts (each with ``id``; duplicated ids, which a
    concurrent move in an older editor could leave behind, are shown once) in reading order
    (see ``_sort_key``; the ``order`` key itself is not passed on) without the soft-deleted
    items (``deleted_items`` has those), numbers become int (or None),
    unknown choice values become None. Blocks with groups become a dict keyed by group value.
    """
    result: dict[str, Any] = {}
    for block in section_schema(section)["blocks"]:
        groups = block.get("groups")
        if groups:
            result[block["key"]] = {
                option["value"]: _read_block(block, f"{block['key']}.{option['value']}", doc)
                for option in options(groups)
            }
        else:
            result[block["key"]] = _read_block(block, block["key"], doc)
    return result


def _read_block(block: dict[str, Any], root: str, doc: Doc) -> Any:
    kind = block["kind"]
    if kind == "text":
        return str(doc.get(root, type=Text))
    if kind == "list":
        return _read_list(block["item"]["fields"], doc.get(root, type=Array))
    if kind == "record":
        values = doc.get(root, type=Map)
        record: dict[str, Any] = {}
        for field in block["fields"]:
            if field["kind"] in ("text", "line"):
                record[field["key"]] = str(doc.get(f"{root}.{field['key']}", type=Text))
            else:
                record[field["key"]] = _read_field(field, values)
        return record
    if kind == "per_participant":
        entries = doc.get(root, type=Map)
        answers: dict[str, Any] = {}
        for participant_id in sorted(entries.keys(), key=_natural):
            entry = entries[participant_id]
            if isinstance(entry, Map):
                answers[participant_id] = {f["key"]: _read_field(f, entry) for f in block["fields"]}
        return answers
    raise ValueError(f"unknown block kind {kind!r}")


def whole_number(value: object) -> int | None:
    """An id written as ASCII digits ("12"), in a document or an address; anything else (also
    "²" or "١٢", which ``str.isdigit`` accepts and ``int`` may not) is None."""
    if isinstance(value, str) and _ID_DIGITS.fullmatch(value):
        return int(value)
    return None


def _natural(key: str) -> tuple[int, str]:
    number = whole_number(key)
    return (number, "") if number is not None else (1 << 62, key)


def _sort_key(value: Map, index: int, item_id: str) -> tuple[float, int, str]:
    """Where a list item is read: by its numeric ``order`` when it has one (the editor moves an
    item by changing only that, so someone typing in it at that moment keeps their words), else
    by its index in the array (documents from before ``order`` read as they always did); ties
    by index, then id. The same rule as ``listItems`` in frontend/src/model.js."""
    order = value.get("order")
    if isinstance(order, int | float) and not isinstance(order, bool) and math.isfinite(order):
        return (float(order), index, item_id)
    return (float(index), index, item_id)


def _list_entries(array: Array) -> list[tuple[str, Map]]:
    """The items of a list in reading order, as (id, item map); a duplicated id counts once."""
    found: list[tuple[tuple[float, int, str], str, Map]] = []
    seen: set[str] = set()
    for index, value in enumerate(array):
        if not isinstance(value, Map):
            continue
        item_id = value.get("id")
        if not isinstance(item_id, str) or item_id in seen:
            continue
        seen.add(item_id)
        found.append((_sort_key(value, index, item_id), item_id, value))
    found.sort(key=lambda entry: entry[0])
    return [(item_id, value) for _, item_id, value in found]


def is_deleted(item: Map) -> bool:
    """Whether a list item is soft-deleted: the editor set ``verwijderd_op`` (any non-empty
    string; it is meant to be a date ``YYYY-MM-DD``) instead of removing it from its list."""
    value = item.get(DELETED_AT)
    return isinstance(value, str) and value != ""


def _read_item(fields: list[dict[str, Any]], item_id: str, value: Map) -> dict[str, Any]:
    item: dict[str, Any] = {"id": item_id}
    for field in fields:
        item[field["key"]] = _read_field(field, value)
    return item


def _read_list(fields: list[dict[str, Any]], array: Array) -> list[dict[str, Any]]:
    return [
        _read_item(fields, item_id, value)
        for item_id, value in _list_entries(array)
        if not is_deleted(value)
    ]


def deleted_items(section: str, doc: Doc) -> list[dict[str, Any]]:
    """The soft-deleted items of ``doc`` (``read_document`` leaves them out), in reading order
    per list: ``{"list", "item", "verwijderd_op", "verwijderd_door"}``.

    ``list`` is the list's address in the editor's ``data-path`` form: the root name
    (``"doelen"``, ``"factoren.gezin"``) or, for a nested list inside a live item,
    ``"<root>/<item id>/<field>"``. ``item`` is read like ``read_document`` reads an item;
    ``verwijderd_door`` is the participant id of who deleted it (None if unknown). Items of a
    deleted item come along inside it, not on their own. Every deleted item is listed, however
    old: the editor shows only those of the last ``KEEP_DELETED_DAYS`` days, nothing purges
    them."""
    found: list[dict[str, Any]] = []
    for block in section_schema(section)["blocks"]:
        if block["kind"] != "list":
            continue
        groups = block.get("groups")
        roots = (
            [f"{block['key']}.{option['value']}" for option in options(groups)]
            if groups
            else [block["key"]]
        )
        for root in roots:
            _collect_deleted(block["item"]["fields"], root, doc.get(root, type=Array), found)
    return found


def _collect_deleted(
    fields: list[dict[str, Any]], path: str, array: Array, found: list[dict[str, Any]]
) -> None:
    nested = [field for field in fields if field["kind"] == "list"]
    for item_id, value in _list_entries(array):
        if is_deleted(value):
            by = value.get(DELETED_BY)
            found.append(
                {
                    "list": path,
                    "item": _read_item(fields, item_id, value),
                    "verwijderd_op": value.get(DELETED_AT),
                    "verwijderd_door": whole_number(by),
                }
            )
            continue
        for field in nested:
            inner = value.get(field["key"])
            if isinstance(inner, Array):
                _collect_deleted(
                    field["item"]["fields"], f"{path}/{item_id}/{field['key']}", inner, found
                )


def _read_field(field: dict[str, Any], values: Map) -> Any:
    kind = field["kind"]
    key = field["key"]
    if kind in ("text", "line"):
        value = values.get(key)
        return str(value) if isinstance(value, Text) else ""
    if kind == "choice":
        value = values.get(key)
        allowed = {o["value"] for o in options(field["options"])}
        # Only a string can be a choice; anything else (a list, say) reads as no choice.
        return value if isinstance(value, str) and value in allowed else None
    if kind == "number":
        return _read_number(values.get(key), field)
    if kind == "date":
        value = values.get(key)
        return value if isinstance(value, str) and value else None
    if kind == "refs":
        value = values.get(key)
        ids = [v for v in value if isinstance(v, str)] if isinstance(value, Array) else []
        return list(dict.fromkeys(ids))
    if kind == "person":
        return _read_person(values, key)
    if kind == "flags":
        return [o["value"] for o in options(field["options"]) if values.get(f"{key}.{o['value']}")]
    if kind == "list":
        value = values.get(key)
        return _read_list(field["item"]["fields"], value) if isinstance(value, Array) else []
    raise ValueError(f"unknown field kind {kind!r}")


def _read_number(value: Any, field: dict[str, Any]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value):
        return None
    number = round(value)
    if number < field.get("min", number) or number > field.get("max", number):
        return None
    return number


def _read_person(values: Map, key: str) -> dict[str, Any] | None:
    """``{"participant_id": 12}``, ``{"name": "Oom Kees"}`` or None when nobody is chosen."""
    value = values.get(key)
    participant_id = whole_number(value)
    if participant_id is not None:
        return {"participant_id": participant_id}
    if value == "anders":
        name = values.get(f"{key}_naam")
        text = str(name).strip() if isinstance(name, Text) else ""
        return {"name": text} if text else None
    return None

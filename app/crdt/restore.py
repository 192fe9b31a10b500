"""Restoring an earlier state of a document as a new forward change.

A CRDT cannot go back in time, and history must never be rewritten: restoring computes the
edits that turn today's content into the old content and returns them as one update, which
the room stores and relays like any other change. Text fields get a minimal edit (common
prefix and suffix kept) so a person typing elsewhere in the same field keeps their words.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Array, Doc, Map, Text

from app.crdt.schema import base_section, root_kinds

RootType = type[Text] | type[Array] | type[Map]


ROOT_TYPES: dict[str, RootType] = {"text": Text, "array": Array, "map": Map}


def roots_of(section: str) -> list[tuple[str, RootType]]:
    """Every root shared type of a section (``'verhaal/12'`` counts as ``'verhaal'``), as the
    schema names them (``schema.root_kinds``)."""
    return [(name, ROOT_TYPES[kind]) for name, kind in root_kinds(base_section(section)).items()]


def load_doc(state: bytes) -> Doc[Any]:
    doc: Doc[Any] = Doc(skip_gc=True)
    if state:
        doc.apply_update(state)
    return doc


def restore_update(section: str, *, current: bytes, target: bytes) -> bytes:
    """The update that makes a document holding ``current`` equal to ``target``.

    Returns ``b""`` when nothing differs.
    """
    doc = load_doc(current)
    old = load_doc(target)
    before = doc.get_state()
    changed = False
    with doc.transaction():
        for name, kind in roots_of(section):
            now_value = doc.get(name, type=kind)
            old_value = old.get(name, type=kind)
            if isinstance(now_value, Text):
                changed |= set_text(now_value, str(old_value))
            elif isinstance(now_value, Array):
                changed |= _set_array(now_value, old_value)  # type: ignore[arg-type]
            else:
                changed |= _set_map(now_value, old_value)  # type: ignore[arg-type]
    if not changed:
        return b""
    return doc.get_update(before)


def set_text(text: Text, new: str) -> bool:
    """Edit ``text`` into ``new``, touching only the part between common prefix and suffix.

    pycrdt counts Text positions in UTF-8 bytes, so character offsets are converted.
    """
    old = str(text)
    if old == new:
        return False
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    start = len(old[:prefix].encode())
    removed = len(old[prefix : len(old) - suffix].encode())
    inserted = new[prefix : len(new) - suffix]
    if removed:
        del text[start : start + removed]
    if inserted:
        text.insert(start, inserted)
    return True


def _plain(value: Any) -> Any:
    if isinstance(value, Text):
        return ("text", str(value))
    if isinstance(value, Map):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Array):
        return [_plain(v) for v in value]
    return value


def _prelim(value: Any) -> Any:
    """A fresh, not yet integrated copy of a shared value (for inserting elsewhere)."""
    if isinstance(value, Text):
        return Text(str(value))
    if isinstance(value, Map):
        return Map({k: _prelim(v) for k, v in value.items()})
    if isinstance(value, Array):
        return Array([_prelim(v) for v in value])
    return value


def _item_ids(array: Array) -> list[str] | None:
    """The ids of a list of items (Maps with a unique ``id``), or None for any other list."""
    ids = [value.get("id") if isinstance(value, Map) else None for value in array]
    if not all(isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
        return None
    return ids  # type: ignore[return-value]


def _set_array(array: Array, old: Array) -> bool:
    """Make ``array`` hold what ``old`` holds. Items that still exist keep their identity, so
    someone typing in another item at the same moment keeps their words; only when the order
    of the remaining items changed is the list rebuilt."""
    if _plain(array) == _plain(old):
        return False
    current_ids, old_ids = _item_ids(array), _item_ids(old)
    if (
        current_ids is None
        or old_ids is None
        or [i for i in current_ids if i in old_ids] != [i for i in old_ids if i in current_ids]
    ):
        if len(array):
            del array[0 : len(array)]
        for value in old:
            array.append(_prelim(value))
        return True
    for index in range(len(current_ids) - 1, -1, -1):
        if current_ids[index] not in old_ids:
            del array[index]
    for position, old_item in enumerate(old):
        if old_item["id"] in current_ids:
            _set_map(array[position], old_item)
        else:
            array.insert(position, _prelim(old_item))
    return True


def _set_map(current: Map, old: Map) -> bool:
    changed = False
    for key in sorted(set(current.keys()) - set(old.keys())):
        del current[key]
        changed = True
    for key, value in old.items():
        if key not in current or _plain(current[key]) != _plain(value):
            now = current.get(key)
            if isinstance(value, Text) and isinstance(now, Text):
                changed |= set_text(now, str(value))
            elif isinstance(value, Array) and isinstance(now, Array):
                changed |= _set_array(now, value)
            elif isinstance(value, Map) and isinstance(now, Map):
                changed |= _set_map(now, value)
            else:
                current[key] = _prelim(value)
                changed = True
    return changed

"""What a room's document holds, as far as checking a client's update needs to know.

For every client id: up to which clock the document has its changes (the state vector), and
for every clock range what *family* of content sits there. Containers hold one family only:
texts hold string-like content (strings, formats, embeds), arrays and maps hold values and
nested types. The admission rules keep it so (``app/crdt/admission.py``), which lets them tell
the container of an item from the item itself: an item inserted next to a string lives in a
text. Shared-type items also keep their type (a nested item names them as its parent), and
items that arrived as deleted content keep what they referred to, because their family is
unknown and must be found through their neighbours.

Built from a document's whole state (one linear read of the update, no integration) and kept
up to date with every update the room applies.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from app.crdt.update_reader import (
    ANY,
    BINARY,
    DELETED,
    DOC,
    EMBED,
    FORMAT,
    GC,
    JSON,
    SKIP,
    STRING,
    TYPE,
    Id,
    Struct,
    UpdateOutline,
    read_update,
)

TEXT_FAMILY = "S"
VALUE_FAMILY = "V"
DELETED_CONTENT = "D"  # the family is that of its neighbours
UNKNOWN = "?"  # garbage-collected: nothing is known

FAMILY_OF_KIND = {
    STRING: TEXT_FAMILY,
    FORMAT: TEXT_FAMILY,
    EMBED: TEXT_FAMILY,
    ANY: VALUE_FAMILY,
    JSON: VALUE_FAMILY,
    BINARY: VALUE_FAMILY,
    TYPE: VALUE_FAMILY,
    DOC: VALUE_FAMILY,
    DELETED: DELETED_CONTENT,
    GC: UNKNOWN,
    SKIP: UNKNOWN,
}


@dataclass(frozen=True, slots=True)
class Where:
    """Where an item sits: what a deleted-content item referred to (to find its family)."""

    origin: Id | None
    right_origin: Id | None
    parent_root: str | None
    parent_id: Id | None


class KnownContent:
    """The state vector of a document plus the family of content at every clock."""

    def __init__(self) -> None:
        self.state: dict[int, int] = {}
        # client → sorted starts of runs of one family, and the family of each run
        self._starts: dict[int, list[int]] = {}
        self._families: dict[int, list[str]] = {}
        self.type_refs: dict[Id, int] = {}
        # client → sorted starts of deleted-content runs, and where each run sits
        self._deleted_starts: dict[int, list[int]] = {}
        self._deleted_where: dict[int, list[Where]] = {}

    @classmethod
    def of_state(cls, state: bytes) -> KnownContent:
        """Index a document's whole state (``Doc.get_update()``)."""
        known = cls()
        known.add(read_update(state))
        return known

    def next_clock(self, client: int) -> int:
        return self.state.get(client, 0)

    def has(self, id_: Id) -> bool:
        return id_[1] < self.state.get(id_[0], 0)

    def family_at(self, id_: Id) -> str | None:
        """The family of the content at ``id_`` (None when the document lacks it)."""
        client, clock = id_
        if clock >= self.state.get(client, 0):
            return None
        starts = self._starts[client]
        return self._families[client][bisect_right(starts, clock) - 1]

    def add(self, outline: UpdateOutline) -> None:
        """Take in the structs of an update the document integrated (the parts it lacked)."""
        for group in outline.groups:
            for struct in group.structs:
                self._add_struct(struct)

    def _add_struct(self, struct: Struct) -> None:
        client = struct.client
        known_end = self.state.get(client, 0)
        if struct.end <= known_end:
            return
        if struct.clock > known_end:
            raise ValueError("a gap in a client's clocks; the index cannot follow")
        family = FAMILY_OF_KIND[struct.kind]
        starts = self._starts.setdefault(client, [])
        families = self._families.setdefault(client, [])
        if not families or families[-1] != family:
            starts.append(known_end)
            families.append(family)
        self.state[client] = struct.end
        if struct.kind == TYPE and struct.type_ref is not None:
            self.type_refs[(client, struct.clock)] = struct.type_ref
        elif struct.kind == DELETED:
            if struct.clock < known_end:
                # Only the tail is new; it sits right after the part already known.
                where = Where((client, known_end - 1), struct.right_origin, None, None)
            else:
                where = Where(
                    struct.origin, struct.right_origin, struct.parent_root, struct.parent_id
                )
            self._deleted_starts.setdefault(client, []).append(known_end)
            self._deleted_where.setdefault(client, []).append(where)

    def deleted_where(self, id_: Id) -> Where | None:
        """Where the deleted-content run holding ``id_`` sits (None if ``id_`` is not in one).
        Inside a run, every clock sits right after the one before, so the run's first one
        tells the family of all of them."""
        client, clock = id_
        starts = self._deleted_starts.get(client)
        if not starts:
            return None
        index = bisect_right(starts, clock) - 1
        if index < 0:
            return None
        start = starts[index]
        where = self._deleted_where[client][index]
        if clock == start:
            return where
        return Where((client, clock - 1), None, None, None)

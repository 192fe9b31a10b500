"""Which client updates a room lets in: checked on the update's outline, before any document
sees it.

An update is refused (``UpdateRefused``; the room closes its sender with 1007) when the part
of it that is new to the document:

- is written under a Yjs client id that belongs to someone else (client ids are bound to the
  account that first used them in the document) or that the document already knows without
  knowing whose it is;
- holds placeholder (skip) or garbage-collected structs, which could claim clock ranges of
  any client and make the document ignore its real changes;
- starts after a gap, refers to content the document lacks, or refers in a circle: all of it
  would wait inside the document and be applied later, unchecked, with someone else's change;
- deletes ranges the document does not have (a delete aimed at someone's future edits);
- creates a root type the section's schema does not define, or the wrong kind of root;
- puts content where it does not belong: string-like content outside texts, values or
  nested types inside texts, a nested type of a kind Yjs documents of eenplan never use
  (XML, sub-documents), a map entry without a key or a list entry with one.

Whatever is already in the document is left to yrs, which skips it.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections.abc import Callable, Mapping

from app.crdt.known_content import (
    DELETED_CONTENT,
    FAMILY_OF_KIND,
    TEXT_FAMILY,
    UNKNOWN,
    VALUE_FAMILY,
    KnownContent,
    Where,
)
from app.crdt.update_reader import (
    DELETED,
    DOC,
    GC,
    SKIP,
    TYPE,
    Y_ARRAY,
    Y_MAP,
    Y_TEXT,
    ClientGroup,
    Id,
    Struct,
    UpdateOutline,
)

# Kinds of root types, as the schema defines them.
ROOT_TEXT = "text"
ROOT_ARRAY = "array"
ROOT_MAP = "map"

MAX_REFERENCE_DEPTH = 64


class UpdateRefused(ValueError):
    """The update may not enter the document; ``reason`` says why (English, for the log and
    the close frame)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Ownership(enum.Enum):
    """Whose a client id is in this document."""

    MINE = "the sender's"
    FREE = "nobody's yet"
    TAKEN = "someone else's, or not known whose"


ClientOwner = Callable[[int], Ownership]


def admit(
    outline: UpdateOutline,
    known: KnownContent,
    *,
    roots: Mapping[str, str],
    owner_of: ClientOwner,
) -> tuple[int, ...]:
    """Check an update from a client against what the document has. Returns the client ids
    it is the first to use (to bind to the sender). Raises ``UpdateRefused``."""
    fresh = [g for g in outline.groups if g.end > known.next_clock(g.client)]
    new_clients: list[int] = []
    for group in fresh:
        ownership = owner_of(group.client)
        if ownership is Ownership.TAKEN:
            raise UpdateRefused(f"client id {group.client} belongs to someone else")
        if ownership is Ownership.FREE:
            if known.next_clock(group.client) > 0:
                raise UpdateRefused(f"client id {group.client} is already in the document")
            new_clients.append(group.client)
        if group.start > known.next_clock(group.client):
            raise UpdateRefused("the update starts after a gap")
    incoming = _Incoming(fresh, known)
    for group in fresh:
        for struct in incoming.new_structs(group):
            _check_struct(struct, incoming, roots)
    incoming.refuse_circles()
    _check_deletes(outline, known)
    return tuple(new_clients)


class _Incoming:
    """The new structs of one update, looked up together with what the document has."""

    def __init__(self, fresh: list[ClientGroup], known: KnownContent) -> None:
        self.known = known
        self.groups = {group.client: group for group in fresh}
        self._starts = {g.client: [s.clock for s in g.structs] for g in fresh}
        self._edges: dict[int, set[int]] = {client: set() for client in self.groups}

    def new_structs(self, group: ClientGroup) -> list[Struct]:
        known_end = self.known.next_clock(group.client)
        return [s for s in group.structs if s.end > known_end]

    def struct_at(self, id_: Id) -> Struct | None:
        """The new struct of this update holding ``id_``, if any."""
        group = self.groups.get(id_[0])
        if group is None or not group.start <= id_[1] < group.end:
            return None
        return group.structs[bisect_right(self._starts[id_[0]], id_[1]) - 1]

    def require(self, id_: Id, by: Struct) -> None:
        """``id_`` must exist: in the document, or earlier in ``by``'s own run, or in another
        client's new part of this update (remembered, to find circles)."""
        client, clock = id_
        if self.known.has(id_):
            return
        if client == by.client:
            if clock < by.clock and self.struct_at(id_) is not None:
                return
            raise UpdateRefused("an item refers to itself or to later changes")
        if self.struct_at(id_) is None:
            raise UpdateRefused("the update refers to changes the document does not have")
        self._edges[by.client].add(client)

    def family(self, id_: Id, depth: int = 0) -> str:
        """The family of the content at ``id_``: text, value, or unknown."""
        if depth > MAX_REFERENCE_DEPTH:
            return UNKNOWN
        struct = self.struct_at(id_)
        where: Where | None
        if struct is not None:
            family = FAMILY_OF_KIND[struct.kind]
            where = Where(struct.origin, struct.right_origin, struct.parent_root, struct.parent_id)
            if id_[1] != struct.clock:
                where = Where((id_[0], id_[1] - 1), None, None, None)
        else:
            found = self.known.family_at(id_)
            if found is None:
                return UNKNOWN
            family = found
            where = self.known.deleted_where(id_) if family == DELETED_CONTENT else None
        if family != DELETED_CONTENT:
            return family
        return self._family_of_place(where, depth + 1) if where is not None else UNKNOWN

    def _family_of_place(self, where: Where, depth: int) -> str:
        for neighbour in (where.origin, where.right_origin):
            if neighbour is not None:
                family = self.family(neighbour, depth)
                if family != UNKNOWN:
                    return family
        if where.parent_id is not None:
            type_ref = self.type_ref(where.parent_id)
            if type_ref is not None:
                return TEXT_FAMILY if type_ref == Y_TEXT else VALUE_FAMILY
        return UNKNOWN

    def type_ref(self, id_: Id) -> int | None:
        struct = self.struct_at(id_)
        if struct is not None:
            return struct.type_ref if struct.kind == TYPE else None
        return self.known.type_refs.get(id_)

    def refuse_circles(self) -> None:
        visiting: set[int] = set()
        done: set[int] = set()

        def visit(client: int) -> None:
            if client in done:
                return
            if client in visiting:
                raise UpdateRefused("the update's changes refer to each other in a circle")
            visiting.add(client)
            for target in self._edges[client]:
                visit(target)
            visiting.discard(client)
            done.add(client)

        for client in self._edges:
            visit(client)


def _check_struct(struct: Struct, incoming: _Incoming, roots: Mapping[str, str]) -> None:
    if struct.kind in (GC, SKIP):
        raise UpdateRefused("placeholder or garbage-collected structs are not accepted")
    if struct.kind == DOC:
        raise UpdateRefused("sub-documents are not used in eenplan")
    if struct.kind == TYPE and struct.type_ref not in (Y_ARRAY, Y_MAP, Y_TEXT):
        raise UpdateRefused("this kind of shared type is not used in eenplan")
    family = FAMILY_OF_KIND[struct.kind]
    if struct.parent_root is not None:
        _check_root_parent(struct, family, roots)
    if struct.parent_id is not None:
        incoming.require(struct.parent_id, struct)
        _check_nested_parent(struct, family, incoming.type_ref(struct.parent_id))
    neighbours = [n for n in (struct.origin, struct.right_origin) if n is not None]
    resolved = False
    for neighbour in neighbours:
        incoming.require(neighbour, struct)
        neighbour_family = incoming.family(neighbour)
        if neighbour_family == UNKNOWN:
            continue
        resolved = True
        if family != DELETED_CONTENT and neighbour_family != family:
            raise UpdateRefused("content is inserted into the wrong kind of container")
    if neighbours and not resolved and family != DELETED_CONTENT:
        raise UpdateRefused("content is inserted next to content of unknown kind")


def _check_root_parent(struct: Struct, family: str, roots: Mapping[str, str]) -> None:
    kind = roots.get(struct.parent_root or "")
    if kind is None:
        raise UpdateRefused(f"the schema has no root named {struct.parent_root!r}")
    _check_container(struct, family, kind)


def _check_nested_parent(struct: Struct, family: str, type_ref: int | None) -> None:
    if type_ref is None:
        raise UpdateRefused("an item's parent is not a shared type")
    kind = {Y_TEXT: ROOT_TEXT, Y_ARRAY: ROOT_ARRAY, Y_MAP: ROOT_MAP}.get(type_ref)
    if kind is None:
        raise UpdateRefused("an item's parent is a kind of type eenplan does not use")
    _check_container(struct, family, kind)


def _check_container(struct: Struct, family: str, kind: str) -> None:
    if (kind == ROOT_MAP) != (struct.parent_sub is not None):
        raise UpdateRefused("a map entry without a key, or a list or text entry with one")
    expected = TEXT_FAMILY if kind == ROOT_TEXT else VALUE_FAMILY
    if struct.kind != DELETED and family != expected:
        raise UpdateRefused("content is inserted into the wrong kind of container")


def _check_deletes(outline: UpdateOutline, known: KnownContent) -> None:
    for client, ranges in outline.delete_set.items():
        group = outline.group_of(client)
        limit = max(known.next_clock(client), group.end if group is not None else 0)
        for clock, length in ranges:
            if clock + length > limit:
                raise UpdateRefused("the update deletes changes the document does not have")

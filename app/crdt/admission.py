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
  (XML, sub-documents), a map entry without a key or a list entry with one;
- places an item between neighbours that sit in different places, or names a parent other
  than where its neighbours sit. yrs takes the parent from one and the map key from another,
  and links the item into one list while counting it in another: content vanishes without a
  delete, or the document cannot be read any more;
- names a right neighbour that comes before its left one in the same struct: yrs then puts
  the item somewhere else in a running document than in one loaded again;
- cuts a string between the two halves of a surrogate pair (an emoji): by an item inserted
  there, a delete that starts or ends there, or a struct the document has up to there. yrs
  then gives the two parts lengths that do not match their text, deletes other characters
  than the ones named, and stores a document that reads differently when loaded again.

Whatever is already in the document is left to yrs, which skips it. Where an item sits is
worked out by ``app.crdt.known_content`` with yrs' own rules.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping

from app.crdt.known_content import Incoming, KnownContent, Place, explicit_place
from app.crdt.update_reader import (
    ANY,
    BINARY,
    DELETED,
    DOC,
    EMBED,
    FORMAT,
    GC,
    SKIP,
    STRING,
    TYPE,
    Y_ARRAY,
    Y_MAP,
    Y_TEXT,
    Id,
    Struct,
    UpdateOutline,
)

# Kinds of root types, as the schema defines them.
ROOT_TEXT = "text"
ROOT_ARRAY = "array"
ROOT_MAP = "map"

_KIND_OF_TYPE = {Y_TEXT: ROOT_TEXT, Y_ARRAY: ROOT_ARRAY, Y_MAP: ROOT_MAP}
_TEXT_CONTENT = (STRING, FORMAT, EMBED)
_VALUE_CONTENT = (ANY, BINARY, TYPE)


class UpdateRefused(ValueError):
    """The update may not enter the document; ``reason`` says why (English, for the log and
    the close frame)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UpdateIncomplete(UpdateRefused):
    """The update continues the sender's own changes after ones the server has not got yet,
    as an honest editor does when it types during a reconnect, before its offline work went
    out. Not applied; the room asks the sender for everything it lacks instead of closing."""


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
            raise UpdateIncomplete("the update starts after a gap")
    incoming = Incoming(outline, known)
    references = _References(incoming)
    for struct in incoming.new_structs():
        _check_struct(struct, incoming, references)
    # Places are worked out through the update's own structs: only once they cannot circle.
    references.refuse_circles()
    for struct in incoming.new_structs():
        _check_place(struct, incoming, roots)
    _check_deletes(outline, known, incoming)
    return tuple(new_clients)


class _References:
    """Which clients' new parts refer to which others', to find circles."""

    def __init__(self, incoming: Incoming) -> None:
        self.incoming = incoming
        self._edges: dict[int, set[int]] = {client: set() for client in incoming.groups}

    def require(self, id_: Id, by: Struct) -> None:
        """``id_`` must exist: in the document, or earlier in ``by``'s own run, or in another
        client's new part of this update (remembered, to find circles)."""
        client, clock = id_
        if self.incoming.known.has(id_):
            return
        if client == by.client:
            if clock < by.clock and self.incoming.struct_at(id_) is not None:
                return
            raise UpdateRefused("an item refers to itself or to later changes")
        if self.incoming.struct_at(id_) is None:
            raise UpdateRefused("the update refers to changes the document does not have")
        self._edges[by.client].add(client)

    def refuse_circles(self) -> None:
        # Depth first, without recursion: an update may hold a chain of thousands of clients.
        done: set[int] = set()
        for first in self._edges:
            if first in done:
                continue
            path = {first}
            stack = [(first, iter(self._edges[first]))]
            while stack:
                client, targets = stack[-1]
                target = next(targets, None)
                if target is None:
                    stack.pop()
                    path.discard(client)
                    done.add(client)
                elif target in path:
                    raise UpdateRefused("the update's changes refer to each other in a circle")
                elif target not in done:
                    path.add(target)
                    stack.append((target, iter(self._edges[target])))


def _check_struct(struct: Struct, incoming: Incoming, references: _References) -> None:
    if struct.kind in (GC, SKIP):
        raise UpdateRefused("placeholder or garbage-collected structs are not accepted")
    if struct.kind == DOC:
        raise UpdateRefused("sub-documents are not used in eenplan")
    if struct.kind == TYPE and struct.type_ref not in _KIND_OF_TYPE:
        raise UpdateRefused("this kind of shared type is not used in eenplan")
    if incoming.splits_pair((struct.client, struct.clock)):
        raise UpdateRefused("the update cuts a character in two")
    # yrs cuts the document right after the left neighbour and right before the right one.
    for neighbour, cut_after in ((struct.origin, 1), (struct.right_origin, 0)):
        if neighbour is not None:
            references.require(neighbour, struct)
            if incoming.splits_pair((neighbour[0], neighbour[1] + cut_after)):
                raise UpdateRefused("an item is inserted inside a character")
    if _neighbours_reversed(struct, incoming):
        raise UpdateRefused("an item's right neighbour comes before its left one")
    if struct.parent_id is not None:
        references.require(struct.parent_id, struct)
        if incoming.type_ref(struct.parent_id) is None:
            raise UpdateRefused("an item's parent is not a shared type")


def _neighbours_reversed(struct: Struct, incoming: Incoming) -> bool:
    """Within one struct, list order is clock order. Across structs the order is only known to
    the document itself, so a right neighbour placed before the left one in another struct
    gets through: yrs copes without harm to the document, but a running document and one
    loaded again may then show that item at different places."""
    left, right = struct.origin, struct.right_origin
    if left is None or right is None or left[0] != right[0] or right[1] > left[1]:
        return False
    return incoming.struct_start(left) == incoming.struct_start(right)


def _check_place(struct: Struct, incoming: Incoming, roots: Mapping[str, str]) -> None:
    sources = [incoming.place_of(n) for n in (struct.origin, struct.right_origin) if n]
    named = explicit_place(struct)
    if named is not None:
        sources.append(named)
    if any(source is None for source in sources):
        raise UpdateRefused("content is inserted next to content of unknown place")
    if len(set(sources)) != 1:
        raise UpdateRefused("an item's neighbours and parent are in different places")
    place = sources[0]
    assert place is not None
    _check_container(struct, place, _kind_of(place, incoming, roots))


def _kind_of(place: Place, incoming: Incoming, roots: Mapping[str, str]) -> str:
    if isinstance(place.parent, str):
        kind = roots.get(place.parent)
        if kind is None:
            raise UpdateRefused(f"the schema has no root named {place.parent!r}")
        return kind
    type_ref = incoming.type_ref(place.parent)
    kind = _KIND_OF_TYPE.get(type_ref) if type_ref is not None else None
    if kind is None:
        raise UpdateRefused("an item's parent is a kind of type eenplan does not use")
    return kind


def _check_container(struct: Struct, place: Place, kind: str) -> None:
    if (kind == ROOT_MAP) != (place.key is not None):
        raise UpdateRefused("a map entry without a key, or a list or text entry with one")
    if kind == ROOT_MAP and struct.right_origin is not None:
        # Yjs and yrs write a map entry after the key's current value, never before another.
        raise UpdateRefused("a map entry with a right neighbour")
    if struct.kind == DELETED:
        return
    allowed = _TEXT_CONTENT if kind == ROOT_TEXT else _VALUE_CONTENT
    if struct.kind not in allowed:
        raise UpdateRefused("content is inserted into the wrong kind of container")


def _check_deletes(outline: UpdateOutline, known: KnownContent, incoming: Incoming) -> None:
    for client, ranges in outline.delete_set.items():
        group = outline.group_of(client)
        limit = max(known.next_clock(client), group.end if group is not None else 0)
        for clock, length in ranges:
            if clock + length > limit:
                raise UpdateRefused("the update deletes changes the document does not have")
            if incoming.splits_pair((client, clock)) or incoming.splits_pair(
                (client, clock + length)
            ):
                raise UpdateRefused("the update deletes half of a character")

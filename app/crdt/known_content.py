"""What a room's document holds, as far as checking a client's update needs to know.

For every client id: up to which clock the document has its changes (the state vector), and
for every clock *where* the item holding it sits: in which shared type (a root by name, or a
nested type by the id of the item holding it) and under which key when that type is a map.
Shared-type items also keep their type (a nested item names them as its parent), and strings
keep where their surrogate pairs are (yrs must never split a string between the two halves).
Where each struct starts is kept too: the clocks of one struct stay next to each other in
clock order, so two ids in one struct tell which of them comes first in their list.

Where an item sits follows the rules yrs integrates it by (``Update::integrate``): an item
that names its left neighbour (origin) sits where that neighbour sits, else where its right
neighbour sits, else in the parent it names; the map key comes from the left neighbour, else
the right one, else the item itself. A struct that the document has in part is cut where the
document's part ends; the rest is placed right after that part.

Built from a document's whole state (one linear read of the update, no integration) and kept
up to date with every update the room applies.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace

from app.crdt.update_reader import TYPE, Id, Struct, UpdateOutline, read_update

Parent = str | Id  # a root type by name, or a nested type by the id of the item holding it


@dataclass(frozen=True, slots=True)
class Place:
    """Where an item sits: its shared type, and its key when that type is a map."""

    parent: Parent
    key: str | None


def explicit_place(struct: Struct) -> Place | None:
    """The place a struct names itself (only structs without neighbours name one)."""
    if struct.parent_root is not None:
        return Place(struct.parent_root, struct.parent_sub)
    if struct.parent_id is not None:
        return Place(struct.parent_id, struct.parent_sub)
    return None


class KnownContent:
    """The state vector of a document plus the place of the item at every clock."""

    def __init__(self) -> None:
        self.state: dict[int, int] = {}
        # client → sorted starts of runs of clocks in one place, and the place of each run
        # (None: yrs could not place it either and turned it into garbage)
        self._starts: dict[int, list[int]] = {}
        self._places: dict[int, list[Place | None]] = {}
        self.type_refs: dict[Id, int] = {}
        # client → clocks that are the second half of a surrogate pair in a string
        self._pair_halves: dict[int, set[int]] = {}
        # client → sorted first clocks of the structs the document integrated
        self._struct_starts: dict[int, list[int]] = {}
        self._interned: dict[Place, Place] = {}

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

    def place_at(self, id_: Id) -> Place | None:
        """Where the item holding ``id_`` sits (None when unknown or not in the document)."""
        client, clock = id_
        if clock >= self.state.get(client, 0):
            return None
        return self._places[client][bisect_right(self._starts[client], clock) - 1]

    def splits_pair(self, id_: Id) -> bool:
        """True when ``id_`` is the second half of a surrogate pair: cutting there (an item
        inserted right before it, a delete starting or ending there) breaks the string."""
        halves = self._pair_halves.get(id_[0])
        return halves is not None and id_[1] in halves

    def struct_start(self, id_: Id) -> int | None:
        """The first clock of the struct holding ``id_`` (None when the document lacks it)."""
        client, clock = id_
        if clock >= self.state.get(client, 0):
            return None
        starts = self._struct_starts[client]
        return starts[bisect_right(starts, clock) - 1]

    def add(self, outline: UpdateOutline) -> None:
        """Take in the structs of an update the document integrated (the parts it lacked)."""
        incoming = Incoming(outline, self)
        placed = [(s, incoming.place_of_struct(s)) for s in incoming.new_structs()]
        for struct, place in placed:
            self._add_struct(struct, place)

    def _add_struct(self, struct: Struct, place: Place | None) -> None:
        client = struct.client
        known_end = self.state.get(client, 0)
        if struct.clock != known_end:
            raise ValueError("a gap in a client's clocks; the index cannot follow")
        if place is not None:
            place = self._interned.setdefault(place, place)
        starts = self._starts.setdefault(client, [])
        places = self._places.setdefault(client, [])
        if not places or places[-1] != place:
            starts.append(known_end)
            places.append(place)
        self.state[client] = struct.end
        self._struct_starts.setdefault(client, []).append(struct.clock)
        if struct.kind == TYPE and struct.type_ref is not None:
            self.type_refs[(client, struct.clock)] = struct.type_ref
        if struct.inside_pairs:
            halves = self._pair_halves.setdefault(client, set())
            halves.update(struct.clock + offset for offset in struct.inside_pairs)


class Incoming:
    """The part of an update that a document lacks, looked up together with what the
    document has: which struct holds an id, where it sits, whether a cut splits a pair.

    A struct the document has in part is cut the way yrs cuts it: the new part starts where
    the document's part ends, names that last known clock as its left neighbour, and keeps
    its right neighbour and any parent it named."""

    def __init__(self, outline: UpdateOutline, known: KnownContent) -> None:
        self.known = known
        self.groups: dict[int, list[Struct]] = {}
        self._starts: dict[int, list[int]] = {}
        for group in outline.groups:
            known_end = known.next_clock(group.client)
            structs = [_cut(s, known_end) for s in group.structs if s.end > known_end]
            if structs:
                self.groups[group.client] = structs
                self._starts[group.client] = [s.clock for s in structs]
        self._places: dict[Id, Place | None] = {}

    def new_structs(self) -> list[Struct]:
        return [struct for structs in self.groups.values() for struct in structs]

    def struct_at(self, id_: Id) -> Struct | None:
        """The new struct of this update holding ``id_``, if any."""
        structs = self.groups.get(id_[0])
        if structs is None or not structs[0].clock <= id_[1] < structs[-1].end:
            return None
        return structs[bisect_right(self._starts[id_[0]], id_[1]) - 1]

    def exists(self, id_: Id) -> bool:
        return self.known.has(id_) or self.struct_at(id_) is not None

    def struct_start(self, id_: Id) -> int | None:
        """The first clock of the struct holding ``id_``, in this update or the document."""
        struct = self.struct_at(id_)
        return struct.clock if struct is not None else self.known.struct_start(id_)

    def type_ref(self, id_: Id) -> int | None:
        """The type of the shared-type item at ``id_`` (None if it is not one)."""
        struct = self.struct_at(id_)
        if struct is not None:
            return struct.type_ref if struct.kind == TYPE and struct.clock == id_[1] else None
        return self.known.type_refs.get(id_)

    def splits_pair(self, id_: Id) -> bool:
        """True when a cut right before ``id_`` splits a surrogate pair."""
        struct = self.struct_at(id_)
        if struct is not None:
            return id_[1] - struct.clock in struct.inside_pairs
        return self.known.splits_pair(id_)

    def place_of(self, id_: Id) -> Place | None:
        """Where the item holding ``id_`` sits, in the document or in this update."""
        struct = self.struct_at(id_)
        if struct is None:
            return self.known.place_at(id_)
        return self.place_of_struct(struct)

    def place_of_struct(self, struct: Struct) -> Place | None:
        """Where a new struct sits. Neighbours in this update are placed first; a chain of
        them can be as long as the update, so this walks them without recursion."""
        key = (struct.client, struct.clock)
        if key in self._places:
            return self._places[key]
        stack = [struct]
        entered: set[Id] = set()
        while stack:
            top = stack[-1]
            top_key = (top.client, top.clock)
            if top_key in self._places:
                stack.pop()
                continue
            if top_key not in entered:
                entered.add(top_key)
                waiting = [
                    n
                    for n in self._neighbour_structs(top)
                    if (n.client, n.clock) not in self._places
                    and (n.client, n.clock) not in entered
                ]
                if waiting:
                    stack.extend(waiting)
                    continue
            # Neighbours still unplaced here refer back to this struct: a circle, unplaceable.
            self._places[top_key] = self._place_from_neighbours(top)
            stack.pop()
        return self._places[key]

    def _neighbour_structs(self, struct: Struct) -> list[Struct]:
        found = []
        for id_ in (struct.origin, struct.right_origin):
            if id_ is not None:
                neighbour = self.struct_at(id_)
                if neighbour is not None and neighbour is not struct:
                    found.append(neighbour)
        return found

    def _placed(self, id_: Id | None) -> Place | None:
        if id_ is None:
            return None
        struct = self.struct_at(id_)
        if struct is None:
            return self.known.place_at(id_)
        return self._places.get((struct.client, struct.clock))

    def _place_from_neighbours(self, struct: Struct) -> Place | None:
        """yrs' rule: the parent named, else the left neighbour's, else the right one's; the
        key from the left neighbour, else the right one, else the struct itself."""
        left = self._placed(struct.origin)
        right = self._placed(struct.right_origin)
        named = explicit_place(struct)
        if named is not None:
            parent: Parent = named.parent
            if isinstance(parent, tuple) and self.type_ref(parent) is None:
                return None  # yrs turns an item whose parent is not a type into garbage
        elif left is not None:
            parent = left.parent
        elif right is not None:
            parent = right.parent
        else:
            return None
        for source in (left, right):
            if source is not None and source.key is not None:
                return Place(parent, source.key)
        return Place(parent, struct.parent_sub)


def _cut(struct: Struct, known_end: int) -> Struct:
    """The part of ``struct`` from ``known_end`` on, as yrs integrates it."""
    if struct.clock >= known_end:
        return struct
    offset = known_end - struct.clock
    return replace(
        struct,
        clock=known_end,
        length=struct.end - known_end,
        origin=(struct.client, known_end - 1),
        inside_pairs=tuple(h - offset for h in struct.inside_pairs if h >= offset),
    )

"""The shadow of a room's document: where every change is tried before it counts.

The room's own Doc holds only what is stored. A change goes to the shadow first: if pycrdt
raises or panics there, the shadow is thrown away and built again from the room's Doc and the
changes still being stored, and only the sender hears of it. If it applies, the shadow yields
what the change actually committed (never the bytes received), plus a repair when the change
broke a field rule. Those are what the room stores, and applies to its own Doc once stored.

The shadow also keeps the index of known content (``KnownContent``) that the admission rules
check client updates against, and an estimate of the document's size.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, TransactionEvent

from app.crdt.field_rules import FieldRules
from app.crdt.known_content import KnownContent
from app.crdt.policy import Identity
from app.crdt.update_reader import UpdateOutline, read_update

log = logging.getLogger(__name__)

EMPTY_UPDATE = b"\x00\x00"


class ShadowFailed(Exception):
    """A change did not apply cleanly to the shadow (pycrdt raised or panicked); the shadow
    was rebuilt and the room's document is untouched."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(repr(cause))
        self.cause = cause


def is_panic(exc: BaseException) -> bool:
    """True for a Rust panic surfacing from pycrdt (it derives from BaseException and cannot
    be imported by name)."""
    return type(exc).__name__ == "PanicException"


def is_crdt_error(exc: BaseException) -> bool:
    """True for the errors pycrdt raises on bad input, panics included."""
    return isinstance(exc, ValueError | RuntimeError | IndexError | AssertionError) or is_panic(exc)


@dataclass(frozen=True)
class Change:
    """What the shadow committed for one change: the update to store and relay, who made it
    (None: the server, e.g. a repair) and whether the sender's connection is its origin."""

    update: bytes
    author_user_id: int | None
    from_sender: bool


class Shadow:
    """A copy of the document that is ahead of the room's Doc by the changes being stored."""

    def __init__(self, state: bytes, *, rules: FieldRules | None) -> None:
        self.rules = rules
        self._captured: list[bytes] = []
        self.doc: Doc[Any] = Doc(skip_gc=True)
        self.known = KnownContent()
        self.size_estimate = 0
        self._build(state, ())

    @property
    def client_id(self) -> int:
        """The client id under which the shadow writes repairs."""
        return int(self.doc.client_id)

    def take(self, update: bytes, outline: UpdateOutline, identity: Identity) -> list[Change]:
        """Apply a checked client update; return what to store (the update as committed, then
        a repair if a field rule was broken). Raises ``ShadowFailed``; the index of known
        content takes the change in only when all of it applied."""
        committed = self._apply(update)
        repairs = self._repair(identity) if committed and self.rules is not None else []
        try:
            self.known.add(outline)
        except ValueError:
            log.error("the index of known content lost track; reading the shadow again")
            self.known = KnownContent.of_state(self.doc.get_update())
        self._index(repairs)
        changes = [Change(u, identity.user_id, True) for u in committed]
        changes += [Change(u, None, False) for u in repairs]
        self.size_estimate += sum(len(change.update) for change in changes)
        return changes

    def take_trusted(self, update: bytes) -> list[bytes]:
        """Apply a change that needs no checks (the server's own, or one another node stored
        already); return what it committed. Raises ``ShadowFailed``."""
        committed = self._apply(update)
        self._index(committed)
        if committed and self.rules is not None:
            self.rules.repair_for(self.doc, None)
        self.size_estimate += sum(len(u) for u in committed)
        return committed

    def rebuild(self, state: bytes, pending: Iterable[bytes], *, reindex: bool) -> None:
        """Start again from the room's Doc (``state``) plus the changes still being stored.
        ``reindex`` False keeps the index of known content: after a change that failed to apply
        it still describes exactly that (a change is indexed only once it applied), and
        indexing a large document again costs far more than rebuilding the Doc."""
        log.info("rebuilding a shadow document")
        known = self.known
        self._build(state, tuple(pending), index=reindex)
        if not reindex:
            self.known = known

    def exact_size(self) -> int:
        """The size of the whole document as one update (costly: call rarely)."""
        size = len(self.doc.get_update())
        self.size_estimate = size
        return size

    # -- inside -----------------------------------------------------------------------------

    def _build(self, state: bytes, pending: tuple[bytes, ...], *, index: bool = True) -> None:
        doc: Doc[Any] = Doc(skip_gc=True)
        for update in (state, *pending):
            if update and update != EMPTY_UPDATE:
                doc.apply_update(update)
        self.doc = doc
        self.doc.observe(self._on_transaction)
        if index:
            self.known = KnownContent.of_state(doc.get_update())
        self.size_estimate = len(state) + sum(len(u) for u in pending)
        if self.rules is not None:
            self.rules.watch(doc)

    def _apply(self, update: bytes) -> list[bytes]:
        if not update or update == EMPTY_UPDATE:
            return []
        self._captured = []
        try:
            self.doc.apply_update(update)
        except BaseException as exc:
            if not is_crdt_error(exc):
                raise
            self._recover()
            raise ShadowFailed(exc) from exc
        captured, self._captured = self._captured, []
        return captured

    def _repair(self, identity: Identity) -> list[bytes]:
        assert self.rules is not None
        self._captured = []
        try:
            self.rules.repair_for(self.doc, identity)
        except BaseException as exc:
            if not is_crdt_error(exc):
                raise
            self._recover()
            raise ShadowFailed(exc) from exc
        repairs, self._captured = self._captured, []
        return repairs

    def _index(self, committed: list[bytes]) -> None:
        try:
            for update in committed:
                self.known.add(read_update(update))
        except ValueError:
            log.error("the index of known content lost track; reading the shadow again")
            self.known = KnownContent.of_state(self.doc.get_update())

    def _recover(self) -> None:
        # The shadow may now be half-changed, or poisoned by a panic: the room rebuilds it
        # from its own Doc (``rebuild``) before anything else is applied to it.
        self._captured = []

    def _on_transaction(self, event: TransactionEvent) -> None:
        update = event.update
        if update and update != EMPTY_UPDATE:
            self._captured.append(update)

"""Who may change which field inside a document, checked by the server on every update.

Document rights (read, edit) are per connection; a few fields have a narrower rule, both read
from the schema (``schema.json``):

- a field with ``roles`` (the professional's zelfredzaamheid score in the perspectief) may be
  changed only by people with one of those roles;
- a ``per_participant`` block ("herken jij je hierin?") holds one answer per participant, and
  each person may change only their own.

The editor already keeps to these rules; the server must not rely on that. A guarded room keeps
a shadow copy of its document and applies every update there first, comparing the protected
values before and after. A change that the sender may not make is put back at once by a change
the server makes in the shadow (the *repair*); the room applies, stores and relays the update
and its repair together. The rest of the update, say words typed elsewhere in the same offline
session, is kept. An update whose changes depend on something the server does not have (which
an honest client never sends) is refused: applied later, it could change a protected value
without anyone being checked for it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from pycrdt import Doc, Map, Text, get_update

from app.crdt.connection import Identity
from app.crdt.schema import options, section_schema

log = logging.getLogger(__name__)


class UpdateNotApplicable(ValueError):
    """The update refers to changes the server does not have; the connection is closed."""


class _Rule(Protocol):
    @property
    def root(self) -> str: ...

    def restricts(self, identity: Identity) -> bool: ...

    def snapshot(self, doc: Doc[Any], identity: Identity) -> dict[str, Any]: ...

    def restore(self, doc: Doc[Any], before: dict[str, Any], after: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class RoleOnlyValue:
    """A plain value under ``key`` in the root map ``root`` that only ``roles`` may change."""

    root: str
    key: str
    roles: frozenset[str]

    def restricts(self, identity: Identity) -> bool:
        return identity.role not in self.roles

    def snapshot(self, doc: Doc[Any], identity: Identity) -> dict[str, Any]:
        values = doc.get(self.root, type=Map)
        return {self.key: _plain(values[self.key])} if self.key in values else {}

    def restore(self, doc: Doc[Any], before: dict[str, Any], after: dict[str, Any]) -> None:
        values = doc.get(self.root, type=Map)
        if self.key in before:
            values[self.key] = before[self.key]
        elif self.key in values:
            del values[self.key]


@dataclass(frozen=True)
class OwnEntryOnly:
    """A root map ``root`` keyed by participant id; everyone may change only their own entry.
    ``texts`` are the entry's fields held as Y.Text (to build an entry back)."""

    root: str
    texts: frozenset[str]

    def restricts(self, identity: Identity) -> bool:
        return True

    def snapshot(self, doc: Doc[Any], identity: Identity) -> dict[str, Any]:
        own = str(identity.participant_id)
        entries = doc.get(self.root, type=Map)
        return {key: _plain(value) for key, value in entries.items() if key != own}

    def restore(self, doc: Doc[Any], before: dict[str, Any], after: dict[str, Any]) -> None:
        entries = doc.get(self.root, type=Map)
        for key in set(before) | set(after):
            if before.get(key, _MISSING) == after.get(key, _MISSING):
                continue
            if key not in before:
                del entries[key]
            else:
                entries[key] = self._build(before[key])

    def _build(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return Map(
            {
                key: Text(item) if key in self.texts and isinstance(item, str) else item
                for key, item in value.items()
            }
        )


_MISSING = object()


def _plain(value: Any) -> Any:
    if isinstance(value, Map | Text):
        return value.to_py()
    return value


def rules_for_section(section: str) -> tuple[_Rule, ...]:
    """The field rules of a section, from the schema (empty for most sections)."""
    rules: list[_Rule] = []
    for block in section_schema(section)["blocks"]:
        groups = block.get("groups")
        roots = (
            [f"{block['key']}.{option['value']}" for option in options(groups)]
            if groups
            else [block["key"]]
        )
        kind = block["kind"]
        if kind == "per_participant":
            texts = frozenset(f["key"] for f in block["fields"] if f["kind"] in ("text", "line"))
            rules.extend(OwnEntryOnly(root, texts) for root in roots)
        for field in block.get("fields", []):
            if "roles" not in field:
                continue
            if kind != "record" or field["kind"] in ("text", "line", "flags"):
                raise ValueError(
                    f"the server cannot enforce 'roles' on {kind} field {field['key']!r}"
                )
            roles = frozenset(field["roles"])
            rules.extend(RoleOnlyValue(root, field["key"], roles) for root in roots)
    return tuple(rules)


class WriteGuard:
    """The shadow copy of one room's document and the field rules of its section.

    The shadow watches the root maps the rules protect, so the protected values are read and
    compared only for an update that changed something under one of them; typing in a text
    field costs one extra apply."""

    def __init__(self, rules: tuple[_Rule, ...], state: bytes) -> None:
        self.rules = rules
        self._roots = sorted({rule.root for rule in rules})
        self._touched = False
        self._watched: list[Map] = []
        self._shadow = self._build_shadow(state)
        self._stale = False

    @staticmethod
    def for_section(section: str, state: bytes) -> WriteGuard | None:
        rules = rules_for_section(section)
        return WriteGuard(rules, state) if rules else None

    def admit(self, update: bytes, identity: Identity, *, current: Doc[Any]) -> bytes | None:
        """Apply ``update`` to the shadow; return the repair update that puts back what
        ``identity`` may not change (None when all is well). ``current`` is the room's Doc,
        which the shadow equals before the update. pycrdt errors propagate, and
        ``UpdateNotApplicable`` for an update that leaves changes pending."""
        rules = [rule for rule in self.rules if rule.restricts(identity)]
        shadow = self._shadow
        self._touched = False
        try:
            shadow.apply_update(update)
        except BaseException:
            self._stale = True
            raise
        if not rules:
            return None
        if _leaves_pending(update, shadow):
            self._stale = True
            raise UpdateNotApplicable("the update depends on changes the server does not have")
        if not self._touched:
            return None
        broken = []
        for rule in rules:
            before = rule.snapshot(current, identity)
            after = rule.snapshot(shadow, identity)
            if before != after:
                broken.append((rule, before, after))
        if not broken:
            return None
        log.warning(
            "user %s (%s) changed a field they may not change; putting it back",
            identity.user_id,
            identity.role,
        )
        state = shadow.get_state()
        with shadow.transaction():
            for rule, old, new in broken:
                rule.restore(shadow, old, new)
        return shadow.get_update(state)

    def follow(self, update: bytes) -> None:
        """Apply an update that reached the room another way (a checked peer on another node,
        a restore by the server, an unguarded writer)."""
        try:
            self._shadow.apply_update(update)
        except BaseException:
            self._stale = True
            raise

    def mark_stale(self) -> None:
        self._stale = True

    def sync_with(self, doc: Doc[Any]) -> None:
        """Rebuild the shadow from the room's document after it may have drifted."""
        if self._stale:
            self._shadow = self._build_shadow(doc.get_update())
            self._stale = False

    def _build_shadow(self, state: bytes) -> Doc[Any]:
        shadow: Doc[Any] = Doc(skip_gc=True)
        if state:
            shadow.apply_update(state)
        # Keep the root objects: their subscriptions live as long as they do.
        self._watched = [shadow.get(root, type=Map) for root in self._roots]
        for root in self._watched:
            root.observe_deep(self._on_protected_change)
        return shadow

    def _on_protected_change(self, _events: list[Any]) -> None:
        self._touched = True


def _leaves_pending(update: bytes, doc: Doc[Any]) -> bool:
    """True when some of ``update``'s changes are still waiting for changes ``doc`` lacks:
    the part of the update beyond the document's state then still holds changes. (The diff
    starts with the number of clients whose changes it carries, a varint: 0 is one zero byte.)"""
    rest = get_update(update, doc.get_state())
    return bool(rest) and rest[0] != 0

"""Who may change which field inside a document, checked by the server on every update.

Document rights (read, edit) are per connection; a few fields have a narrower rule, both read
from the schema (``schema.json``):

- a field with ``roles`` (the professional's zelfredzaamheid score in the perspectief) may be
  changed only by people with one of those roles;
- a ``per_participant`` block ("herken jij je hierin?") holds one answer per participant, and
  each person may change only their own.

The editor already keeps to these rules; the server must not rely on that. Every update goes
to the room's shadow copy of its document first (``app/crdt/shadow.py``); ``FieldRules``
watches the protected roots there and compares the protected values before and after. A change
that the sender may not make is put back at once by a change the server makes in the shadow
(the *repair*); the room stores and relays the update and its repair together. The rest of the
update, say words typed elsewhere in the same offline session, is kept. Deletes count too: a
delete of the item that holds a protected value changes the value and is put back the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from pycrdt import Doc, Map, Text

from app.crdt.policy import Identity
from app.crdt.schema import options, section_schema

log = logging.getLogger(__name__)


class _Rule(Protocol):
    @property
    def root(self) -> str: ...

    def read(self, doc: Doc[Any]) -> dict[str, Any]: ...

    def guarded(self, values: dict[str, Any], identity: Identity) -> dict[str, Any]: ...

    def restore(self, doc: Doc[Any], before: dict[str, Any], after: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class RoleOnlyValue:
    """A plain value under ``key`` in the root map ``root`` that only ``roles`` may change."""

    root: str
    key: str
    roles: frozenset[str]

    def read(self, doc: Doc[Any]) -> dict[str, Any]:
        values = doc.get(self.root, type=Map)
        return {self.key: _plain(values[self.key])} if self.key in values else {}

    def guarded(self, values: dict[str, Any], identity: Identity) -> dict[str, Any]:
        """The part of ``values`` that ``identity`` may not change."""
        return {} if identity.role in self.roles else values

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

    def read(self, doc: Doc[Any]) -> dict[str, Any]:
        entries = doc.get(self.root, type=Map)
        return {key: _plain(value) for key, value in entries.items()}

    def guarded(self, values: dict[str, Any], identity: Identity) -> dict[str, Any]:
        own = str(identity.participant_id)
        return {key: value for key, value in values.items() if key != own}

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


class FieldRules:
    """The field rules of one document and the protected values as they stand.

    It watches the root maps the rules protect, so values are read and compared only after an
    update that changed something under one of them; typing in a text field costs nothing."""

    def __init__(self, rules: tuple[_Rule, ...]) -> None:
        self.rules = rules
        self._roots = sorted({rule.root for rule in rules})
        self._watched: list[Map] = []
        self._values: list[dict[str, Any]] = []
        self._touched = False

    @staticmethod
    def for_section(section: str) -> FieldRules | None:
        rules = rules_for_section(section)
        return FieldRules(rules) if rules else None

    def watch(self, doc: Doc[Any]) -> None:
        """Follow ``doc`` (a fresh shadow); read the protected values it holds now."""
        # Keep the root objects: their subscriptions live as long as they do.
        self._watched = [doc.get(root, type=Map) for root in self._roots]
        for root in self._watched:
            root.observe_deep(self._on_protected_change)
        self._values = [rule.read(doc) for rule in self.rules]
        self._touched = False

    def repair_for(self, doc: Doc[Any], identity: Identity | None) -> bool:
        """After a change was applied to ``doc``: put back, in ``doc``, what ``identity`` may
        not change (None: the server, which may change anything). True when it did."""
        if not self._touched:
            return False
        self._touched = False
        after = [rule.read(doc) for rule in self.rules]
        broken = []
        if identity is not None:
            for rule, old, new in zip(self.rules, self._values, after, strict=True):
                guarded_old = rule.guarded(old, identity)
                guarded_new = rule.guarded(new, identity)
                if guarded_old != guarded_new:
                    broken.append((rule, guarded_old, guarded_new))
        if not broken:
            self._values = after
            return False
        log.warning(
            "user %s (%s) changed a field they may not change; putting it back",
            identity.user_id if identity else None,
            identity.role if identity else None,
        )
        with doc.transaction():
            for rule, old, new in broken:
                rule.restore(doc, old, new)
        self._touched = False
        self._values = [rule.read(doc) for rule in self.rules]
        return True

    def _on_protected_change(self, _events: list[Any]) -> None:
        self._touched = True

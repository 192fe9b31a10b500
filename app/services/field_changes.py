"""Which fields of a document changed between two points of its update log, and who changed
each one.

The net difference comes from ``compare.diff_section`` (state before against state after).
Who changed a field comes from replaying the logged updates in between, one run of the same
author at a time, and noting which fields each run touched: typing makes hundreds of updates,
but few runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.crdt.restore import load_doc
from app.crdt.schema import read_document
from app.services.compare import diff_section
from app.services.update_log import LoggedUpdate

# More runs than this are replayed in coarser groups (each then names all of its authors), so
# a document that went back and forth thousands of times still answers quickly.
MAX_RUNS = 200
SERVER_NAME = "eenplan"


@dataclass(frozen=True)
class FieldChange:
    path: str  # the editor's data-path, see ``compare.Change.path``
    label: str  # 'Doelen › Doel 1: Naar school › Wat wil je bereiken?'
    kind: str  # "toegevoegd", "verwijderd" or "gewijzigd"
    before: str
    after: str
    by: list[str]  # names of who changed it, sorted


@dataclass
class _Run:
    authors: set[int | None] = field(default_factory=set)
    updates: list[bytes] = field(default_factory=list)


def _runs(updates: Iterable[LoggedUpdate]) -> list[_Run]:
    runs: list[_Run] = []
    for logged in updates:
        if not runs or runs[-1].authors != {logged.author_user_id}:
            runs.append(_Run({logged.author_user_id}))
        runs[-1].updates.append(logged.update)
    if len(runs) <= MAX_RUNS:
        return runs
    size = -(-len(runs) // MAX_RUNS)
    coarse = []
    for start in range(0, len(runs), size):
        group = runs[start : start + size]
        coarse.append(
            _Run(
                set().union(*(r.authors for r in group)),
                [u for r in group for u in r.updates],
            )
        )
    return coarse


def _related(path: str, other: str) -> bool:
    """The same field, or one holds the other (an item and its fields)."""
    return path == other or other.startswith(path + "/") or path.startswith(other + "/")


def changed_fields(
    section: str,
    *,
    base: bytes,
    updates: list[LoggedUpdate],
    names: dict[int, str],
    author_names: dict[int, str],
    leave_out_user: int | None = None,
) -> list[FieldChange]:
    """Every field that differs between ``base`` (a whole state) and ``base`` plus ``updates``,
    with who changed it. A field only ``leave_out_user`` changed is left out (your own edits
    are not news to you), and they are never named among the authors."""
    doc = load_doc(base)
    start = read_document(section, doc)
    touched: dict[str, set[int | None]] = {}
    before = start
    for run in _runs(updates):
        with doc.transaction():
            for update in run.updates:
                try:
                    doc.apply_update(update)
                except Exception:  # a row that never applied is skipped, as when loading
                    continue
        after = read_document(section, doc)
        for change in diff_section(section, before, after, names):
            touched.setdefault(change.path, set()).update(run.authors)
        before = after
    result = []
    for change in diff_section(section, start, before, names):
        authors: set[int | None] = set()
        for path, who in touched.items():
            if _related(change.path, path):
                authors |= who
        if leave_out_user is not None and authors == {leave_out_user}:
            continue
        authors.discard(leave_out_user)
        shown = sorted(
            {SERVER_NAME if a is None else author_names.get(a, "iemand") for a in authors}
        )
        result.append(
            FieldChange(change.path, change.where, change.kind, change.before, change.after, shown)
        )
    return result

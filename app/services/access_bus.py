"""Tells the live parts of the app that someone's access to a case may have changed.

Services publish after they commit (participant removed, role changed, consent withdrawn,
share revoked). The room server subscribes and re-checks every open connection of that case;
with Redis the same event reaches every node.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

AccessListener = Callable[[str], None]


class AccessBus:
    def __init__(self) -> None:
        self._listeners: list[AccessListener] = []

    def subscribe(self, listener: AccessListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def publish(self, case_id: str) -> None:
        """Call every listener; a failing listener is logged, never raised to the caller."""
        for listener in list(self._listeners):
            try:
                listener(case_id)
            except Exception:
                log.exception("access listener failed for case %s", case_id)

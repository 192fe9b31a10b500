"""Whose each Yjs client id is, in one document.

A Yjs client writes every change under its client id; the server binds that id to the account
that first used it in the document (stored with the update, ``document_clients``), and from
then on only that account may write under it. Ids the server itself writes under (repairs)
belong to nobody (None), so no account can use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from app.crdt.admission import Ownership

SERVER = None


class ClientOwners:
    def __init__(self, owners: Mapping[int, int | None] | None = None) -> None:
        self._owners: dict[int, int | None] = dict(owners or {})

    def __contains__(self, client: int) -> bool:
        return client in self._owners

    def ownership(self, client: int, user_id: int) -> Ownership:
        """How ``client`` stands for the account ``user_id``."""
        if client not in self._owners:
            return Ownership.FREE
        return Ownership.MINE if self._owners[client] == user_id else Ownership.TAKEN

    def judge_for(self, user_id: int) -> _Judge:
        return _Judge(self, user_id)

    def bind(self, clients: Iterable[int], user_id: int | None) -> None:
        for client in clients:
            self._owners.setdefault(client, user_id)

    def unbind(self, clients: Iterable[int]) -> None:
        """Forget bindings whose update was not stored after all."""
        for client in clients:
            self._owners.pop(client, None)

    def merge(self, stored: Mapping[int, int | None]) -> None:
        """Take in what is stored (bindings made by other nodes)."""
        for client, owner in stored.items():
            self._owners.setdefault(client, owner)


class _Judge:
    """``admit``'s ``owner_of`` for one account."""

    __slots__ = ("owners", "user_id")

    def __init__(self, owners: ClientOwners, user_id: int) -> None:
        self.owners = owners
        self.user_id = user_id

    def __call__(self, client: int) -> Ownership:
        return self.owners.ownership(client, self.user_id)

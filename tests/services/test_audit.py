"""The access log is a hash chain: a changed or deleted entry is found."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.services import audit
from app.settings import get_settings
from tests.conftest import Family


def _log_three(db: Session, family: Family) -> None:
    for who in ("jongere", "moeder", "specialist"):
        audit.record(
            db, case_id=family.case.id, user=family.user(who), action=audit.Action.case_viewed
        )


def test_entries_are_numbered_and_chained_per_case(db: Session, family: Family) -> None:
    _log_three(db, family)
    rows = list(reversed(audit.entries(db, case_id=family.case.id)))
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == audit.GENESIS_HASH
    assert rows[1].prev_hash == rows[0].entry_hash and rows[2].prev_hash == rows[1].entry_hash
    assert [r.actor_name for r in rows] == ["Jongere", "Moeder", "Specialist"]
    assert [r.actor_role for r in rows] == ["jongere", "ouder", "specialist"]
    assert audit.verify_chain(db, case_id=family.case.id).ok


def test_changing_one_entry_breaks_the_chain(db: Session, family: Family) -> None:
    _log_three(db, family)
    db.execute(
        text("UPDATE audit_entries SET actor_name = 'Niemand' WHERE case_id = :c AND seq = 2"),
        {"c": family.case.id},
    )
    db.commit()
    check = audit.verify_chain(db, case_id=family.case.id)
    assert not check.ok
    assert check.broken_at_seq == 2
    assert check.problem == "Een regel in het logboek is veranderd."


def test_recomputing_the_hash_of_a_changed_entry_still_breaks_the_chain(
    db: Session, family: Family
) -> None:
    _log_three(db, family)
    entry = sorted(audit.entries(db, case_id=family.case.id), key=lambda e: e.seq)[0]
    entry.detail = "verzonnen"
    entry.entry_hash = audit.entry_hash(entry.prev_hash, entry)
    db.add(entry)
    db.commit()
    check = audit.verify_chain(db, case_id=family.case.id)
    assert not check.ok and check.broken_at_seq == 2


def test_deleting_one_entry_breaks_the_chain(db: Session, family: Family) -> None:
    _log_three(db, family)
    db.execute(
        text("DELETE FROM audit_entries WHERE case_id = :c AND seq = 2"), {"c": family.case.id}
    )
    db.commit()
    check = audit.verify_chain(db, case_id=family.case.id)
    assert not check.ok
    assert check.problem == "Er ontbreekt een regel in het logboek."


def test_deleting_the_newest_entry_is_found_against_a_kept_head(
    db: Session, family: Family
) -> None:
    _log_three(db, family)
    kept = audit.head(db, case_id=family.case.id)
    db.execute(
        text("DELETE FROM audit_entries WHERE case_id = :c AND seq = 3"), {"c": family.case.id}
    )
    db.commit()
    assert audit.head(db, case_id=family.case.id) != kept


def test_deleting_the_newest_entries_breaks_the_chain(db: Session, family: Family) -> None:
    _log_three(db, family)
    db.execute(
        text("DELETE FROM audit_entries WHERE case_id = :c AND seq >= 2"), {"c": family.case.id}
    )
    db.commit()
    check = audit.verify_chain(db, case_id=family.case.id)
    assert not check.ok
    assert check.problem == "De laatste regels van het logboek ontbreken."
    assert check.broken_at_seq == 2


def test_each_case_has_its_own_chain(db: Session, family: Family) -> None:
    from app.services import cases

    other = cases.create_case(
        db, actor=family.user("aanspreekpunt"), label="Ander gezin", youth_birth_date="2012-03-03"
    )
    _log_three(db, family)
    audit.record(
        db, case_id=other.id, user=family.user("aanspreekpunt"), action=audit.Action.case_viewed
    )
    assert [e.seq for e in audit.entries(db, case_id=other.id)] == [1]
    assert audit.verify_chain(db, case_id=other.id).ok
    assert audit.verify_chain(db, case_id=family.case.id).checked == 3


def test_concurrent_writers_never_fork_the_chain(db: Session, family: Family, settings) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    from app.db import make_engine

    engine = make_engine(settings.database_url)

    def write(who: str) -> None:
        with Session(engine, expire_on_commit=False) as session:
            for _ in range(10):
                audit.record(
                    session,
                    case_id=family.case.id,
                    user=family.user(who),
                    action=audit.Action.case_viewed,
                )

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, ["jongere", "moeder", "vader", "specialist"]))
    engine.dispose()
    check = audit.verify_chain(db, case_id=family.case.id)
    assert check.ok and check.checked == 40


def test_a_chain_rebuilt_without_the_key_is_found(db: Session, family: Family) -> None:
    import hashlib

    _log_three(db, family)
    previous = audit.GENESIS_HASH
    for entry in sorted(audit.entries(db, case_id=family.case.id), key=lambda e: e.seq):
        if entry.seq == 2:
            entry.detail = "verzonnen"
        entry.prev_hash = previous
        entry.entry_hash = hashlib.sha256(
            (previous + audit.canonical_content(entry)).encode()
        ).hexdigest()
        previous = entry.entry_hash
        db.add(entry)
    db.commit()
    check = audit.verify_chain(db, case_id=family.case.id)
    assert not check.ok
    assert check.broken_at_seq == 1


def test_a_chain_rebuilt_with_another_secret_is_found(db: Session, family: Family) -> None:
    import hashlib
    import hmac

    _log_three(db, family)
    wrong_key = hashlib.sha256(b"een ander geheim").digest()
    previous = audit.GENESIS_HASH
    for entry in sorted(audit.entries(db, case_id=family.case.id), key=lambda e: e.seq):
        entry.prev_hash = previous
        entry.entry_hash = hmac.new(
            wrong_key, (previous + audit.canonical_content(entry)).encode(), hashlib.sha256
        ).hexdigest()
        previous = entry.entry_hash
        db.add(entry)
    db.commit()
    assert not audit.verify_chain(db, case_id=family.case.id).ok


@pytest.fixture
def secret_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set EENPLAN_SECRET_KEY (and the earlier ones) for this process, as after a restart."""

    def use(current: str, *earlier: str) -> None:
        monkeypatch.setenv("EENPLAN_SECRET_KEY", current)
        monkeypatch.setenv("EENPLAN_PREVIOUS_SECRET_KEYS", ",".join(earlier))
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


OLD = "het-oude-geheim-van-minstens-32-tekens-lang"
NEW = "het-nieuwe-geheim-van-minstens-32-tekens-lang"


def test_after_a_change_of_secret_the_earlier_key_keeps_the_chain_verifiable(
    db: Session, family: Family, secret_keys: Callable[..., None]
) -> None:
    secret_keys(OLD)
    _log_three(db, family)
    secret_keys(NEW, OLD)
    _log_three(db, family)
    check = audit.verify_chain(db, case_id=family.case.id)
    assert check.ok and check.checked == 6
    secret_keys(NEW)
    assert audit.verify_chain(db, case_id=family.case.id).broken_at_seq == 1


def test_an_earlier_key_cannot_add_entries_after_a_newer_one(
    db: Session, family: Family, secret_keys: Callable[..., None]
) -> None:
    secret_keys(OLD)
    _log_three(db, family)
    secret_keys(NEW, OLD)
    _log_three(db, family)
    secret_keys(OLD)  # someone who kept the old secret writes one more entry
    audit.record(
        db, case_id=family.case.id, user=family.user("oma"), action=audit.Action.case_viewed
    )
    secret_keys(NEW, OLD)
    check = audit.verify_chain(db, case_id=family.case.id)
    assert not check.ok and check.broken_at_seq == 7

"""The history of a case's consent records in plain Dutch, as each reader may see it: every
version of every line, newest first; a legal-ground motivation only for who may read it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.dutch import dutch_date
from app.models import Consent, Participant
from app.services import consent
from app.services.membership import participant_names


@dataclass(frozen=True)
class HistoryLine:
    record: Consent
    text: str  # "Sanne gaf toestemming om te delen met school, tot 1 maart 2026"
    motivation: str | None  # None: there is none, or this reader may not read it
    hidden_motivation: bool  # there is one, but this reader may not read it


def history_lines(session: Session, *, case_id: str, viewer: Participant) -> list[HistoryLine]:
    """Every consent record of the case in words, newest first, as ``viewer`` may read it."""
    names = participant_names(session, case_id=case_id)
    with_motivation = consent.may_read_motivations(viewer)
    return [
        HistoryLine(
            record=record,
            text=_sentence(record, names),
            motivation=record.motivation if with_motivation else None,
            hidden_motivation=bool(record.motivation) and not with_motivation,
        )
        for record in consent.history(session, case_id=case_id)
    ]


def _sentence(record: Consent, names: dict[int, str]) -> str:
    who = names.get(record.granted_by_participant_id, "Iemand")
    audience = consent.AUDIENCES.get(record.audience)
    target = audience.name if audience else record.audience
    given = record.status == consent.GIVEN
    if record.kind == consent.Kind.consent:
        did = "gaf toestemming" if given else "trok toestemming in"
        until = f", tot {dutch_date(record.valid_until)}" if record.valid_until else ""
        return f"{who} {did} om te delen met {target}{until}"
    if record.kind == consent.Kind.pass_over:
        parent = names.get(record.passed_over_participant_id or 0, "een ouder")
        if given:
            return f"{who} (vast aanspreekpunt) sloeg {parent} over bij delen met {target}"
        return f"{who} (vast aanspreekpunt) vraagt {parent} weer om toestemming voor {target}"
    if given:
        label = consent.GROUND_LABELS.get(record.ground, record.ground)
        return f"{who} deelde met {target} zonder toestemming. Grond: {label}"
    return f"Het delen met {target} zonder toestemming is gestopt"

"""Share links for a third party (school): read-only, scoped, expiring, revocable, logged.

A link works only while the consent it was made under still holds ON THE DAY it is opened:
withdrawn consent, a birthday that changes who must consent, expiry or revocation all make it
answer 410. The page is rendered on the server from only the parts the scope allows (plan
actions that involve school, and the school-and-work part of the perspective); the rest of a
document never leaves the server.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pycrdt import Doc
from sqlmodel import Session, col, select

from app.crdt.schema import option_label, read_document
from app.models import (
    Case,
    Document,
    DocumentSnapshot,
    DocumentUpdate,
    Section,
    Share,
    User,
    today,
    utcnow,
)
from app.security import new_token, token_hash
from app.services import audit, consent
from app.services.access_bus import AccessBus
from app.services.errors import Conflict, Gone, InvalidInput, NotFound
from app.services.participants import active_members, require_aanspreekpunt

log = logging.getLogger(__name__)

SHARE_AUDIENCES = ("school",)
MAX_DAYS = 365
DEFAULT_DAYS = 30

SHARE_GONE = (
    "Deze link werkt niet meer. Hij is verlopen of stopgezet, of de toestemming om te delen "
    "geldt niet meer. Vraag het vaste aanspreekpunt van het gezin om een nieuwe link."
)

# Whoever is named in an action with one of these words is someone at school.
SCHOOL_WORDS = re.compile(r"school|mentor|zorgco|leraar|lerares|docent|juf|meester|decaan", re.I)


@dataclass(frozen=True)
class NewShare:
    share: Share
    token: str

    @property
    def path(self) -> str:
        return f"/gedeeld/{self.token}"


def _parse_days(value: object) -> int | None:
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return days if 1 <= days <= MAX_DAYS else None


def create_share(
    session: Session,
    *,
    actor: User,
    case_id: str,
    audience: str,
    label: str,
    expires_in_days: object,
    ground: str = consent.Ground.toestemming,
    motivation: str = "",
    bus: AccessBus | None = None,
) -> NewShare:
    """Make a share link. Only the aanspreekpunt; only when consent covers it (409 naming who
    still has to consent), or on a legal ground with a written motivation."""
    me = require_aanspreekpunt(session, user=actor, case_id=case_id)
    errors: dict[str, str] = {}
    if audience not in SHARE_AUDIENCES:
        errors["audience"] = "Een link kan nu alleen voor school."
    label = label.strip()
    if not label:
        errors["label"] = "Schrijf voor wie de link is, bijvoorbeeld ‘Mentor Noorderpoort’."
    elif len(label) > 120:
        errors["label"] = "Hoogstens 120 tekens."
    days = _parse_days(expires_in_days)
    if days is None:
        errors["expires_in_days"] = f"Kies een aantal dagen van 1 tot en met {MAX_DAYS}."
    if ground not in (consent.Ground.toestemming, *consent.LEGAL_GROUNDS):
        errors["ground"] = "Kies op welke grond je deelt."
    if errors:
        raise InvalidInput("Controleer de velden hieronder.", field_errors=errors)
    assert days is not None
    expires_at = utcnow() + timedelta(days=days)
    legal_consent_id = None
    if ground == consent.Ground.toestemming:
        state = consent.consent_state(session, case_id, audience)
        if not state.complete:
            raise Conflict(state.missing_message())
    else:
        record = consent.add_legal_ground(
            session,
            participant=me,
            user=actor,
            audience=audience,
            ground=ground,
            motivation=motivation,
            valid_until=expires_at.date(),
        )
        legal_consent_id = record.id
    token = new_token()
    share = Share(
        case_id=case_id,
        audience=audience,
        label=label,
        token_hash=token_hash(token),
        ground=ground,
        legal_consent_id=legal_consent_id,
        created_by_participant_id=me.id,  # type: ignore[arg-type]
        expires_at=expires_at,
    )
    session.add(share)
    session.flush()
    audit.add_for_participant(
        session,
        participant=me,
        user=actor,
        action=audit.Action.share_created,
        subject=f"share:{share.id}",
        ground=ground,
        detail=f"Link voor {label}, geldig tot {audit.dutch_date(expires_at.date())}",
    )
    session.commit()
    if bus is not None:
        bus.publish(case_id)
    return NewShare(share, token)


def revoke_share(
    session: Session,
    *,
    actor: User,
    share_id: str,
    case_id: str | None = None,
    bus: AccessBus | None = None,
) -> Share:
    """Stop a link at once (only the aanspreekpunt of its case); a legal ground made for it
    ends too."""
    share = session.get(Share, share_id)
    if share is None or (case_id is not None and share.case_id != case_id):
        raise NotFound()
    me = require_aanspreekpunt(session, user=actor, case_id=share.case_id)
    if share.revoked_at is None:
        share.revoked_at = utcnow()
        share.revoked_by_participant_id = me.id
        session.add(share)
        if share.legal_consent_id is not None:
            consent.end_legal_ground(session, participant=me, consent_id=share.legal_consent_id)
        audit.add_for_participant(
            session,
            participant=me,
            user=actor,
            action=audit.Action.share_revoked,
            subject=f"share:{share.id}",
            detail=f"Link voor {share.label} stopgezet",
        )
        session.commit()
    if bus is not None:
        bus.publish(share.case_id)
    return share


def why_share_stopped(session: Session, share: Share, *, on: date | None = None) -> str | None:
    """None while a link works; otherwise a short Dutch reason (for the aanspreekpunt)."""
    on = on or today()
    if share.revoked_at is not None:
        return "Stopgezet"
    if share.expires_at <= utcnow():
        return "Verlopen"
    if share.ground == consent.Ground.toestemming:
        state = consent.consent_state(session, share.case_id, share.audience, on)
        if not state.complete:
            return "Toestemming ontbreekt: " + ", ".join(state.still_needed)
    elif share.legal_consent_id is None or not consent.legal_ground_in_force(
        session, consent_id=share.legal_consent_id, on=on
    ):
        return "De wettelijke grond geldt niet meer"
    return None


@dataclass
class SharedView:
    """What a share page may show: nothing else is read out of the documents."""

    case_label: str
    share: Share
    school_goals: list[dict[str, Any]] = field(default_factory=list)
    other_actions: list[dict[str, Any]] = field(default_factory=list)
    school_werk: dict[str, Any] = field(default_factory=dict)
    school_werk_contributions: list[str] = field(default_factory=list)


def open_share(session: Session, *, token: str, on: date | None = None) -> SharedView:
    """The scoped content behind a link, and a log entry for the view; Gone (410) when the
    link no longer works."""
    share = session.exec(select(Share).where(Share.token_hash == token_hash(token))).first()
    if share is None:
        raise NotFound("Deze link bestaat niet. Kijk of je de hele link hebt gekopieerd.")
    if why_share_stopped(session, share, on=on) is not None:
        raise Gone(SHARE_GONE)
    case = session.get(Case, share.case_id)
    assert case is not None
    view = SharedView(case_label=case.label, share=share)
    names = {m.participant.id: m.user.name for m in active_members(session, case_id=case.id)}
    plan = read_section(session, case_id=case.id, section=Section.plan)
    if plan is not None:
        _school_plan(view, plan, names)
    perspective = read_section(session, case_id=case.id, section=Section.perspectief)
    if perspective is not None:
        record = perspective.get("domein", {}).get("school_werk", {})
        view.school_werk = record
        view.school_werk_contributions = [
            option_label("bijdrage", v) for v in record.get("bijdrage", [])
        ]
    audit.add(
        session,
        case_id=case.id,
        action=audit.Action.share_viewed,
        actor_name=share.label,
        actor_role=share.audience,
        subject=f"share:{share.id}",
        ground=share.ground,
        detail=f"Bekeken via de link voor {share.label}",
    )
    session.commit()
    return view


def _person_name(person: dict[str, Any] | None, names: dict[int | None, str]) -> str:
    if not person:
        return ""
    if "participant_id" in person:
        return names.get(person["participant_id"], "")
    return str(person.get("name", ""))


def _action_view(action: dict[str, Any], names: dict[int | None, str]) -> dict[str, Any]:
    return {
        "wat": action.get("wat", ""),
        "wie": _person_name(action.get("wie"), names),
        "wanneer": action.get("wanneer", ""),
        "status": option_label("actie_status", action.get("status")),
    }


def _school_plan(view: SharedView, plan: dict[str, Any], names: dict[int | None, str]) -> None:
    for goal in plan.get("doelen", []):
        if goal.get("status") in ("gestopt",):
            continue
        actions = goal.get("acties", [])
        if goal.get("domein") == "school_werk":
            view.school_goals.append(
                {
                    "doel": goal.get("doel", ""),
                    "status": option_label("doel_status", goal.get("status")),
                    "evaluatiedatum": goal.get("evaluatiedatum"),
                    "acties": [_action_view(a, names) for a in actions],
                }
            )
            continue
        # From other goals only the actions someone at school does; never the goal itself.
        for action in actions:
            who = _person_name(action.get("wie"), names)
            if (
                who
                and SCHOOL_WORDS.search(who)
                and "participant_id" not in (action.get("wie") or {})
            ):
                view.other_actions.append(_action_view(action, names))


# --- reading documents on the server -------------------------------------------------------


def load_doc(session: Session, *, document_id: str) -> Doc:
    """The current state of a stored document: the newest snapshot, then every later update in
    id order (the rooms store each update before they relay it)."""
    snapshot = session.exec(
        select(DocumentSnapshot)
        .where(DocumentSnapshot.document_id == document_id)
        .order_by(col(DocumentSnapshot.upto_update_id).desc())
        .limit(1)
    ).first()
    upto = snapshot.upto_update_id if snapshot else 0
    updates = session.exec(
        select(DocumentUpdate.update)
        .where(DocumentUpdate.document_id == document_id, col(DocumentUpdate.id) > upto)
        .order_by(col(DocumentUpdate.id))
    ).all()
    doc: Doc[Any] = Doc(skip_gc=True)
    for update in [*([snapshot.state] if snapshot else []), *updates]:
        try:
            doc.apply_update(update)
        except Exception:
            log.exception("skipping a stored update of %s that does not apply", document_id)
    return doc


def read_section(session: Session, *, case_id: str, section: Section) -> dict[str, Any] | None:
    document = session.exec(
        select(Document).where(
            Document.case_id == case_id,
            Document.section == section,
            col(Document.owner_participant_id).is_(None),
        )
    ).first()
    if document is None:
        return None
    return read_document(str(section), load_doc(session, document_id=document.id))


# --- the aanspreekpunt's overview ----------------------------------------------------------


@dataclass(frozen=True)
class ShareRow:
    share: Share
    stopped: str | None


def shares_of(session: Session, *, actor: User, case_id: str) -> list[ShareRow]:
    """Every link of the case, newest first, with why it stopped (aanspreekpunt only)."""
    require_aanspreekpunt(session, user=actor, case_id=case_id)
    rows = session.exec(
        select(Share).where(Share.case_id == case_id).order_by(col(Share.created_at).desc())
    ).all()
    return [ShareRow(s, why_share_stopped(session, s)) for s in rows]

"""Share links for a third party (school, family and network): read-only, scoped, expiring,
revocable, logged.

A link works only while the consent for its audience still holds ON THE DAY it is opened:
withdrawn consent, a birthday that changes who must consent, expiry or revocation all make it
answer 410. Its scope is a set of parts (``PARTS``) chosen by the aanspreekpunt from the
parts of its audience. The page is rendered on the server from only those parts: a document
that no chosen part needs is not even read, and the rest of a document never leaves the
server. Safety and the own stories are never a part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.crdt.schema import option_label, options, read_document, section_schema
from app.crdt.store import stored_doc
from app.dutch import dutch_date
from app.models import (
    Case,
    Document,
    Section,
    Share,
    User,
    today,
    utcnow,
)
from app.security import new_token, token_hash
from app.services import audit, consent
from app.services.access_bus import AccessBus
from app.services.display import display_value
from app.services.errors import Conflict, Gone, InvalidInput, NotFound
from app.services.membership import active_members, names_of, require_aanspreekpunt

MAX_DAYS = 365
DEFAULT_DAYS = 30

SHARE_GONE = (
    "Deze link werkt niet meer. Hij is verlopen of stopgezet, of de toestemming om te delen "
    "geldt niet meer. Vraag het vaste aanspreekpunt van het gezin om een nieuwe link."
)

# Whoever is named in an action with one of these words is someone at school.
SCHOOL_WORDS = re.compile(r"school|mentor|zorgco|leraar|lerares|docent|juf|meester|decaan", re.I)


@dataclass(frozen=True)
class Part:
    """One part of the plan a link can show."""

    code: str
    label: str  # Dutch, for the checkbox and the list of links
    default: bool = True


PARTS: dict[str, tuple[Part, ...]] = {
    "school": (
        Part("school_doelen", "De doelen over school en werk, met hun acties"),
        Part(
            "school_acties",
            "Acties die iemand van school doet bij andere doelen (zonder de tekst van het doel)",
        ),
        Part("perspectief_school_werk", "Toekomstperspectief: het deel ‘School en werk’"),
    ),
    "netwerk": (
        Part("plan", "Het plan: de doelen waaraan jullie werken, met hun acties"),
        Part("perspectief", "Toekomstperspectief: de Big Five"),
        Part("analyse", "De gedeelde analyse", default=False),
    ),
}
SHARE_AUDIENCES = tuple(PARTS)
NEVER_SHOWN = {
    "school": "School ziet nooit de veiligheid, de analyse of de eigen verhalen.",
    "netwerk": "Familie en netwerk zien nooit de veiligheid of de eigen verhalen.",
}


def default_scope(audience: str) -> list[str]:
    """The parts a new link of ``audience`` shows unless the aanspreekpunt chooses others."""
    return [p.code for p in PARTS.get(audience, ()) if p.default]


def part_label(code: str) -> str:
    for parts in PARTS.values():
        for part in parts:
            if part.code == code:
                return part.label
    return code


def scope_of(share: Share) -> list[str]:
    """The parts this link shows: its stored scope (only parts of its audience), or, for a
    link stored without one, the audience's default parts."""
    known = [p.code for p in PARTS.get(share.audience, ())]
    chosen = [code for code in known if code in (share.scope or [])]
    return chosen or default_scope(share.audience)


def _parse_scope(audience: str, scope: object) -> tuple[list[str], str | None]:
    """(the chosen parts in a fixed order, a Dutch error or None); None means the defaults."""
    if scope is None:
        return default_scope(audience), None
    if isinstance(scope, str) or not isinstance(scope, list | tuple):
        return [], "Kies de delen die je wilt delen."
    known = [p.code for p in PARTS[audience]]
    if any(not isinstance(code, str) or code not in known for code in scope):
        name = consent.AUDIENCES[audience].name
        return [], f"Kies alleen delen die je met {name} kunt delen."
    chosen = [code for code in known if code in scope]
    if not chosen:
        return [], "Kies minstens één deel om te delen."
    return chosen, None


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
    scope: object = None,
    bus: AccessBus,
) -> NewShare:
    """Make a share link. Only the aanspreekpunt; only when the consent for ``audience``
    covers it (409 naming who still has to consent), or on a legal ground with a written
    motivation. ``scope`` is a non-empty list of the audience's part codes (None: the
    audience's default parts). Commits, then publishes the case on ``bus``."""
    me = require_aanspreekpunt(session, user=actor, case_id=case_id)
    errors: dict[str, str] = {}
    parts: list[str] = []
    if audience not in SHARE_AUDIENCES:
        errors["audience"] = "Kies met wie je deelt: school, of familie en netwerk."
    else:
        parts, scope_error = _parse_scope(audience, scope)
        if scope_error:
            errors["scope"] = scope_error
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
        scope=parts,
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
        detail=(
            f"Link voor {label} ({consent.AUDIENCES[audience].name}), "
            f"geldig tot {dutch_date(expires_at.date())}"
        ),
    )
    session.commit()
    bus.publish(case_id)
    return NewShare(share, token)


def share_to_revoke(session: Session, *, actor: User, case_id: str, share_id: str) -> Share:
    """The link the aanspreekpunt is about to stop (for the question 'are you sure?');
    NotFound/Forbidden as ``revoke_share`` would answer."""
    share = session.get(Share, share_id)
    if share is None or share.case_id != case_id:
        raise NotFound()
    require_aanspreekpunt(session, user=actor, case_id=case_id)
    return share


def revoke_share(
    session: Session,
    *,
    actor: User,
    share_id: str,
    case_id: str | None = None,
    bus: AccessBus,
) -> Share:
    """Stop a link at once (only the aanspreekpunt of its case); a legal ground made for it
    ends too. Commits, then publishes the case on ``bus``."""
    share = session.get(Share, share_id)
    if share is None or (case_id is not None and share.case_id != case_id):
        raise NotFound()
    me = require_aanspreekpunt(session, user=actor, case_id=share.case_id)
    if share.revoked_at is None:
        share.revoked_at = utcnow()
        share.revoked_by_participant_id = me.id
        session.add(share)
        if share.legal_consent_id is not None:
            consent.add_legal_ground_withdrawal(
                session, participant=me, consent_id=share.legal_consent_id
            )
        audit.add_for_participant(
            session,
            participant=me,
            user=actor,
            action=audit.Action.share_revoked,
            subject=f"share:{share.id}",
            detail=f"Link voor {share.label} stopgezet",
        )
        session.commit()
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
        if not consent.unbroken_since(session, state, share.created_at):
            return "De toestemming stopte tussendoor. Maak een nieuwe link."
    elif share.legal_consent_id is None or not consent.legal_ground_in_force(
        session, consent_id=share.legal_consent_id, on=on
    ):
        return "De wettelijke grond geldt niet meer"
    return None


@dataclass
class SharedView:
    """What a share page may show: only the chosen parts are filled; nothing else is read out
    of the documents."""

    case_label: str
    share: Share
    audience: consent.Audience
    parts: list[str]
    # school
    school_goals: list[dict[str, Any]] = field(default_factory=list)
    other_actions: list[dict[str, Any]] = field(default_factory=list)
    school_werk: dict[str, Any] = field(default_factory=dict)
    school_werk_contributions: list[str] = field(default_factory=list)
    # netwerk
    goals: list[dict[str, Any]] = field(default_factory=list)
    big_five_columns: list[str] = field(default_factory=list)
    big_five: list[dict[str, Any]] = field(default_factory=list)
    analysis_schema: dict[str, Any] = field(default_factory=dict)
    analysis: dict[str, Any] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)

    def shows(self, part: str) -> bool:
        return part in self.parts


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
    parts = scope_of(share)
    view = SharedView(
        case_label=case.label,
        share=share,
        audience=consent.AUDIENCES[share.audience],
        parts=parts,
    )
    names = names_of(active_members(session, case_id=case.id))
    wanted = set(parts)
    if wanted & {"school_doelen", "school_acties", "plan"}:
        plan = read_section(session, case_id=case.id, section=Section.plan)
        if plan is not None:
            if wanted & {"school_doelen", "school_acties"}:
                _school_plan(view, plan, names)
            if "plan" in wanted:
                view.goals = [_goal_view(g, names) for g in _current_goals(plan)]
    if wanted & {"perspectief_school_werk", "perspectief"}:
        perspective = read_section(session, case_id=case.id, section=Section.perspectief)
        if perspective is not None:
            domains = perspective.get("domein", {})
            if "perspectief_school_werk" in wanted:
                record = domains.get("school_werk", {})
                view.school_werk = record
                view.school_werk_contributions = [
                    option_label("bijdrage", v) for v in record.get("bijdrage", [])
                ]
            if "perspectief" in wanted:
                _big_five(view, domains, names)
    if "analyse" in wanted:
        analysis = read_section(session, case_id=case.id, section=Section.analyse)
        if analysis is not None:
            view.analysis_schema = section_schema(Section.analyse)
            view.analysis = analysis
            view.names = names
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


def _person_name(person: dict[str, Any] | None, names: dict[int, str]) -> str:
    if not person:
        return ""
    if "participant_id" in person:
        return names.get(person["participant_id"], "")
    return str(person.get("name", ""))


def _action_view(action: dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
    return {
        "wat": action.get("wat", ""),
        "wie": _person_name(action.get("wie"), names),
        "wanneer": action.get("wanneer", ""),
        "status": option_label("actie_status", action.get("status")),
    }


def _current_goals(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The goals that still count: every goal except the stopped ones."""
    return [g for g in plan.get("doelen", []) if g.get("status") != "gestopt"]


def _goal_view(goal: dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
    return {
        "doel": goal.get("doel", ""),
        "domein": option_label("big_five", goal.get("domein")),
        "status": option_label("doel_status", goal.get("status")),
        "evaluatiedatum": goal.get("evaluatiedatum"),
        "acties": [_action_view(a, names) for a in goal.get("acties", [])],
    }


def _big_five(view: SharedView, domains: dict[str, Any], names: dict[int, str]) -> None:
    block = section_schema(Section.perspectief)["blocks"][0]
    view.big_five_columns = [f["label"] for f in block["fields"]]
    for option in options(block["groups"]):
        row = domains.get(option["value"], {})
        view.big_five.append(
            {
                "gebied": option["label"],
                "values": [display_value(f, row.get(f["key"]), names) for f in block["fields"]],
            }
        )


def _school_plan(view: SharedView, plan: dict[str, Any], names: dict[int, str]) -> None:
    wanted = set(view.parts)
    for goal in _current_goals(plan):
        actions = goal.get("acties", [])
        if goal.get("domein") == "school_werk":
            if "school_doelen" not in wanted:
                continue
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
        if "school_acties" not in wanted:
            continue
        for action in actions:
            who = _person_name(action.get("wie"), names)
            if (
                who
                and SCHOOL_WORDS.search(who)
                and "participant_id" not in (action.get("wie") or {})
            ):
                view.other_actions.append(_action_view(action, names))


# --- reading documents on the server -------------------------------------------------------


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
    return read_document(str(section), stored_doc(session.connection(), document.id))


# --- the aanspreekpunt's overview ----------------------------------------------------------


@dataclass(frozen=True)
class ShareRow:
    share: Share
    stopped: str | None

    @property
    def audience_name(self) -> str:
        audience = consent.AUDIENCES.get(self.share.audience)
        return audience.name if audience else self.share.audience

    @property
    def part_labels(self) -> list[str]:
        return [part_label(code) for code in scope_of(self.share)]


def shares_of(session: Session, *, actor: User, case_id: str) -> list[ShareRow]:
    """Every link of the case, newest first, with why it stopped (aanspreekpunt only)."""
    require_aanspreekpunt(session, user=actor, case_id=case_id)
    rows = session.exec(
        select(Share).where(Share.case_id == case_id).order_by(col(Share.created_at).desc())
    ).all()
    return [ShareRow(s, why_share_stopped(session, s)) for s in rows]

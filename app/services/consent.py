"""Versioned consent: who must agree before the plan is shared, and what they decided.

A consent row is never changed. Every decision is a new version in its *line*:

- ``consent``: a person decides for themself (ground ``toestemming``);
- ``pass_over``: the aanspreekpunt passes over a parent with gezag, with a written reason
  (only while the youth is 12 to 15);
- ``legal_ground``: sharing without consent on a legal ground, with a written motivation.

Who must consent depends on the youth's age band ON THE DAY the rule is checked, so a share
that was fine yesterday can stop on the 12th, 16th or 18th birthday. A consent counts only in
the age band it was given in: after such a birthday it has to be asked again. From 18 the
youth alone decides, and parents (gezag has ended) read the shared documents only with this
consent.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from app.models import Case, Consent, Participant, Role, User, today, utcnow
from app.services import audit
from app.services.access_bus import AccessBus
from app.services.ages import AgeBand, age_band_on
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.services.membership import active_members, active_participant, require_aanspreekpunt


class Kind(enum.StrEnum):
    consent = "consent"
    pass_over = "pass_over"
    legal_ground = "legal_ground"


class Ground(enum.StrEnum):
    toestemming = "toestemming"
    wettelijke_plicht = "wettelijke plicht"
    meldrecht = "meldrecht"
    noodsituatie = "noodsituatie"


LEGAL_GROUNDS = (Ground.wettelijke_plicht, Ground.meldrecht, Ground.noodsituatie)

GROUND_LABELS: dict[str, str] = {
    Ground.toestemming: "Toestemming",
    Ground.wettelijke_plicht: "Wettelijke plicht (de wet zegt dat het moet)",
    Ground.meldrecht: "Meldrecht (bijvoorbeeld een melding bij Veilig Thuis)",
    Ground.noodsituatie: "Noodsituatie (er is direct gevaar)",
}

GIVEN = "given"
WITHDRAWN = "withdrawn"
DECISIONS = (GIVEN, WITHDRAWN)
MIN_MOTIVATION = 20
MAX_MOTIVATION = 5000


@dataclass(frozen=True)
class Audience:
    code: str
    name: str  # "school", "familie en netwerk": fits in "delen met …"
    scope: tuple[str, ...]
    what: str
    purpose: str
    never: str
    on_withdrawal: str  # what stops when someone withdraws their consent


AUDIENCES: dict[str, Audience] = {
    "school": Audience(
        code="school",
        name="school",
        scope=("plan.school_acties", "perspectief.school_werk"),
        what=(
            "De acties uit het plan waarbij school helpt, en het deel ‘School en werk’ van "
            "het toekomstperspectief."
        ),
        purpose="Zodat school weet wat er is afgesproken en kan helpen.",
        never="School ziet nooit de veiligheid, de analyse of de verhalen.",
        on_withdrawal=(
            "Dan stopt het delen meteen: de link voor school werkt niet meer. Wat school al "
            "gelezen heeft, kunnen we niet terughalen."
        ),
    ),
    "netwerk": Audience(
        code="netwerk",
        name="familie en netwerk",
        scope=("analyse", "plan", "perspectief"),
        what=(
            "De gedeelde analyse, het plan en het toekomstperspectief. Ook een ouder zonder "
            "gezag kan ze dan lezen. Is de jongere 18 of ouder? Dan geldt dat voor elke ouder."
        ),
        purpose="Zodat de mensen om jullie heen kunnen meedenken en helpen.",
        never="Familie en netwerk zien nooit de veiligheid.",
        on_withdrawal=(
            "Dan stopt het delen meteen: familie en netwerk, en een ouder zonder gezag, kunnen "
            "de analyse, het plan en het toekomstperspectief niet meer lezen. Wie het nu open "
            "heeft, ziet het direct niet meer. Wat iemand al gelezen heeft, kunnen we niet "
            "terughalen."
        ),
    ),
}

PERIOD_MONTHS = (3, 6, 12)
DEFAULT_MONTHS = 12


def audience_or_error(code: str) -> Audience:
    audience = AUDIENCES.get(code)
    if audience is None:
        raise InvalidInput(
            "Kies met wie je deelt.",
            field_errors={"audience": "Kies school of familie en netwerk."},
        )
    return audience


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- who must consent ----------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """One person (or missing person) whose consent is needed."""

    name: str
    role: str
    participant_id: int | None
    status: str  # given | passed_over | missing | withdrawn | expired | ask_again | not_in_case
    record: Consent | None = None
    pass_over: Consent | None = None

    @property
    def satisfied(self) -> bool:
        return self.status in ("given", "passed_over")


STATUS_TEXT = {
    "given": "heeft toestemming gegeven",
    "passed_over": "is overgeslagen door het vaste aanspreekpunt",
    "missing": "heeft nog niet gekozen",
    "withdrawn": "heeft de toestemming ingetrokken",
    "expired": "de toestemming is verlopen",
    "ask_again": "moet opnieuw kiezen, omdat de jongere ouder is geworden",
    "not_in_case": "doet nog niet mee in eenplan",
}


@dataclass(frozen=True)
class ConsentState:
    case_id: str
    audience: str
    on: date
    age_band: AgeBand
    requirements: list[Requirement]
    legal_grounds: list[Consent] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return bool(self.requirements) and all(r.satisfied for r in self.requirements)

    @property
    def still_needed(self) -> list[str]:
        """Names of everyone who still has to consent."""
        return [r.name for r in self.requirements if not r.satisfied]

    @property
    def ask_again(self) -> list[str]:
        return [r.name for r in self.requirements if r.status == "ask_again"]

    @property
    def valid_until(self) -> date | None:
        ends = [r.record.valid_until for r in self.requirements if r.status == "given" and r.record]
        known = [d for d in ends if d is not None]
        return min(known) if known else None

    def missing_message(self) -> str:
        """Dutch sentence naming who still has to consent."""
        names = self.still_needed
        if not names:
            return "Iedereen die toestemming moet geven, heeft dat gedaan."
        who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1]
        return (
            f"Delen met {AUDIENCES[self.audience].name} kan nog niet. "
            f"Nog nodig: toestemming van {who}."
        )


def required_roles(band: AgeBand) -> tuple[bool, bool]:
    """(youth must consent, parents with gezag must consent) for an age band."""
    if band == AgeBand.under_12:
        return False, True
    if band == AgeBand.from_12_to_15:
        return True, True
    return True, False


def _line_latest(
    session: Session, *, case_id: str, audience: str, kind: Kind
) -> dict[int, Consent]:
    """Newest version per person (``granted_by`` for consent, ``passed_over`` for pass_over)."""
    rows = session.exec(
        select(Consent)
        .where(Consent.case_id == case_id, Consent.audience == audience, Consent.kind == kind)
        .order_by(col(Consent.id))
    ).all()
    latest: dict[int, Consent] = {}
    for row in rows:
        key = (
            row.passed_over_participant_id
            if kind == Kind.pass_over
            else row.granted_by_participant_id
        )
        if key is not None:
            latest[key] = row
    return latest


def _is_current(record: Consent, *, on: date, band: AgeBand) -> str:
    if record.status != GIVEN:
        return "withdrawn"
    if record.valid_until is not None and record.valid_until < on:
        return "expired"
    if record.age_band != band:
        return "ask_again"
    return "given"


def consent_state(
    session: Session, case_id: str, audience: str, on: date | None = None
) -> ConsentState:
    """Is consent for sharing with ``audience`` complete on day ``on`` (default today), and who
    still has to consent? Legal-ground records that are in force are listed apart."""
    on = on or today()
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound()
    band = age_band_on(case.youth_birth_date, on)
    youth_needed, parents_needed = required_roles(band)
    members = active_members(session, case_id=case_id)
    consents = _line_latest(session, case_id=case_id, audience=audience, kind=Kind.consent)
    passes = _line_latest(session, case_id=case_id, audience=audience, kind=Kind.pass_over)
    requirements: list[Requirement] = []

    def requirement(name: str, role: str, participant: Participant) -> Requirement:
        record = consents.get(participant.id or 0)
        status = "missing" if record is None else _is_current(record, on=on, band=band)
        pass_record = passes.get(participant.id or 0)
        if (
            status != "given"
            and role == Role.ouder
            and band == AgeBand.from_12_to_15
            and pass_record is not None
            and _is_current(pass_record, on=on, band=band) == "given"
        ):
            return Requirement(name, role, participant.id, "passed_over", record, pass_record)
        return Requirement(name, role, participant.id, status, record)

    if youth_needed:
        youth = [m for m in members if m.participant.role == Role.jongere]
        if youth:
            requirements.append(requirement(youth[0].user.name, Role.jongere, youth[0].participant))
        else:
            requirements.append(Requirement("de jongere", Role.jongere, None, "not_in_case"))
    if parents_needed:
        parents = [m for m in members if m.participant.role == Role.ouder and m.participant.gezag]
        for parent in parents:
            requirements.append(requirement(parent.user.name, Role.ouder, parent.participant))
        if not parents:
            requirements.append(Requirement("een ouder met gezag", Role.ouder, None, "not_in_case"))
    legal = [
        r
        for r in _legal_latest(session, case_id=case_id, audience=audience)
        if r.status == GIVEN and (r.valid_until is None or r.valid_until >= on)
    ]
    return ConsentState(case_id, audience, on, band, requirements, legal)


def _legal_rows(session: Session, *, case_id: str, audience: str) -> list[Consent]:
    return list(
        session.exec(
            select(Consent)
            .where(
                Consent.case_id == case_id,
                Consent.audience == audience,
                Consent.kind == Kind.legal_ground,
            )
            .order_by(col(Consent.id))
        ).all()
    )


def _newest_version(record: Consent, rows: Sequence[Consent]) -> Consent:
    """Follow ``previous_id`` links forward from ``record`` to the newest version of its line."""
    successor = {r.previous_id: r for r in rows if r.previous_id is not None}
    newest = record
    while newest.id in successor:
        newest = successor[newest.id]
    return newest


def _legal_latest(session: Session, *, case_id: str, audience: str) -> list[Consent]:
    rows = _legal_rows(session, case_id=case_id, audience=audience)
    return [_newest_version(r, rows) for r in rows if r.previous_id is None]


def legal_ground_in_force(session: Session, *, consent_id: int, on: date | None = None) -> bool:
    """Is the newest version of this legal-ground line still given and not expired?"""
    on = on or today()
    record = session.get(Consent, consent_id)
    if record is None or record.kind != Kind.legal_ground:
        return False
    rows = _legal_rows(session, case_id=record.case_id, audience=record.audience)
    newest = _newest_version(record, rows)
    return newest.status == GIVEN and (newest.valid_until is None or newest.valid_until >= on)


def unbroken_since(session: Session, state: ConsentState, moment: datetime) -> bool:
    """Has every consent that makes ``state`` complete held without a break since ``moment``?

    A link lives on the consent it was made under. A withdrawal, an expiry, or a birthday that
    asked for consent again ends that consent for good: consent given after such a break is a
    new consent, and it never revives a link made before it.
    """
    for need in state.requirements:
        record = need.pass_over if need.status == "passed_over" else need.record
        if record is None or not _line_unbroken_since(session, record, moment):
            return False
    return True


def _line_unbroken_since(session: Session, record: Consent, moment: datetime) -> bool:
    """Walk back from the newest version to the one that held at ``moment``: every version in
    between must renew a consent that still held (given, same age band, not yet expired)."""
    current = record
    while current.created_at > moment:
        if current.previous_id is None:
            return False  # this person first consented after the moment
        previous = session.get(Consent, current.previous_id)
        if previous is None or previous.status != GIVEN or previous.age_band != current.age_band:
            return False
        if previous.valid_until is not None and previous.valid_until < current.created_at.date():
            return False
        current = previous
    return current.status == GIVEN


def consented_audiences(
    session: Session, *, case_id: str, on: date | None = None
) -> frozenset[str]:
    """Audiences whose consent is complete today (used for netwerk and parents without gezag)."""
    return frozenset(a for a in AUDIENCES if consent_state(session, case_id, a, on).complete)


# --- deciding ------------------------------------------------------------------------------


def can_consent(participant: Participant, band: AgeBand) -> str | None:
    """None when this person decides about sharing now, else the Dutch reason why not."""
    youth_needed, parents_needed = required_roles(band)
    if participant.role == Role.jongere:
        if not youth_needed:
            return (
                "Je bent jonger dan 12. Je ouders met gezag beslissen hierover. "
                "Praat er wel met ze over!"
            )
        return None
    if participant.role == Role.ouder:
        if not participant.gezag:
            return "Alleen ouders met gezag geven toestemming."
        if band == AgeBand.from_18:
            return "De jongere is 18 of ouder. Die beslist dit nu zelf."
        if not parents_needed:
            return "De jongere is 16 of ouder en beslist dit zelf."
        return None
    return "Alleen de jongere en ouders met gezag geven toestemming."


def _next_version(previous: Consent | None) -> tuple[int, int | None]:
    return ((previous.version + 1) if previous else 1, previous.id if previous else None)


def _youth_participant_id(session: Session, case_id: str) -> int | None:
    youth = [
        m for m in active_members(session, case_id=case_id) if m.participant.role == Role.jongere
    ]
    return youth[0].participant.id if youth else None


def decide(
    session: Session,
    *,
    user: User,
    case_id: str,
    audience: str,
    decision: str,
    months: int = DEFAULT_MONTHS,
    bus: AccessBus,
    on: date | None = None,
) -> Consent:
    """A person gives or withdraws their own consent: a new version, logged. Commits, then
    publishes the case on ``bus``: a withdrawal stops shares and live access at once."""
    on = on or today()
    participant = active_participant(session, user=user, case_id=case_id)
    info = audience_or_error(audience)
    if decision not in DECISIONS:
        raise InvalidInput(
            "Kies: toestemming geven of intrekken.",
            field_errors={"decision": "Kies ‘given’ (geven) of ‘withdrawn’ (intrekken)."},
        )
    if months not in PERIOD_MONTHS:
        raise InvalidInput(
            "Kies hoe lang je toestemming geldt.",
            field_errors={"months": "Kies 3, 6 of 12 maanden."},
        )
    case = session.get(Case, case_id)
    assert case is not None
    band = age_band_on(case.youth_birth_date, on)
    if reason := can_consent(participant, band):
        raise Forbidden(reason)
    audit.lock_case(session, case_id)  # two decisions at once must not fork the line
    previous = _line_latest(session, case_id=case_id, audience=audience, kind=Kind.consent).get(
        participant.id or 0
    )
    if decision == WITHDRAWN and (previous is None or previous.status != GIVEN):
        raise Conflict("Je hebt nu geen toestemming gegeven, dus je kunt niets intrekken.")
    version, previous_id = _next_version(previous)
    now = utcnow()
    record = Consent(
        case_id=case_id,
        subject_participant_id=_youth_participant_id(session, case_id),
        kind=Kind.consent,
        audience=audience,
        version=version,
        previous_id=previous_id,
        granted_by_participant_id=participant.id,  # type: ignore[arg-type]
        grantor_role=str(participant.role),
        grantor_gezag=participant.gezag,
        age_band=str(band),
        scope=list(info.scope),
        purpose=info.purpose,
        valid_until=add_months(on, months) if decision == GIVEN else None,
        ground=Ground.toestemming,
        status=decision,
        created_at=now,
        withdrawn_at=now if decision == WITHDRAWN else None,
    )
    session.add(record)
    session.flush()
    audit.add_for_participant(
        session,
        participant=participant,
        user=user,
        action=audit.Action.consent_given if decision == GIVEN else audit.Action.consent_withdrawn,
        subject=f"consent:{record.id}",
        ground=Ground.toestemming,
        detail=f"Delen met {info.name} (versie {version})",
    )
    session.commit()
    bus.publish(case_id)
    return record


def pass_over_parent(
    session: Session,
    *,
    actor: User,
    case_id: str,
    audience: str,
    parent_participant_id: int,
    reason: str,
    undo: bool = False,
    bus: AccessBus,
    on: date | None = None,
) -> Consent:
    """The aanspreekpunt records that a parent with gezag is passed over (youth 12 to 15),
    naming the parent and the reason; ``undo`` makes that parent's consent needed again.
    Commits, then publishes the case on ``bus``."""
    on = on or today()
    me = require_aanspreekpunt(session, user=actor, case_id=case_id)
    info = audience_or_error(audience)
    case = session.get(Case, case_id)
    assert case is not None
    band = age_band_on(case.youth_birth_date, on)
    parent = session.get(Participant, parent_participant_id)
    if parent is None or parent.case_id != case_id or not parent.is_active:
        raise NotFound("Deze ouder doet niet (meer) mee in deze casus.")
    if parent.role != Role.ouder or not parent.gezag:
        raise InvalidInput(
            "Je kunt alleen een ouder met gezag overslaan.",
            field_errors={"parent": "Kies een ouder met gezag."},
        )
    if band != AgeBand.from_12_to_15 and not undo:
        raise InvalidInput(
            "Een ouder overslaan kan alleen als de jongere 12 tot en met 15 jaar is."
        )
    reason = reason.strip()
    if not undo and len(reason) < MIN_MOTIVATION:
        raise InvalidInput(
            "Schrijf op waarom je deze ouder overslaat.",
            field_errors={"reason": f"Schrijf de reden op, in minstens {MIN_MOTIVATION} tekens."},
        )
    if len(reason) > MAX_MOTIVATION:
        raise InvalidInput(
            "De reden is te lang.",
            field_errors={"reason": "Schrijf de reden korter op (hoogstens 5.000 tekens)."},
        )
    audit.lock_case(session, case_id)
    previous = _line_latest(session, case_id=case_id, audience=audience, kind=Kind.pass_over).get(
        parent_participant_id
    )
    if undo and (previous is None or previous.status != GIVEN):
        raise Conflict("Deze ouder is niet overgeslagen.")
    version, previous_id = _next_version(previous)
    now = utcnow()
    record = Consent(
        case_id=case_id,
        subject_participant_id=_youth_participant_id(session, case_id),
        kind=Kind.pass_over,
        audience=audience,
        version=version,
        previous_id=previous_id,
        granted_by_participant_id=me.id,  # type: ignore[arg-type]
        grantor_role=str(me.role),
        age_band=str(band),
        passed_over_participant_id=parent_participant_id,
        scope=list(info.scope),
        purpose=info.purpose,
        ground=Ground.toestemming,
        motivation=reason or None,
        status=WITHDRAWN if undo else GIVEN,
        created_at=now,
        withdrawn_at=now if undo else None,
    )
    session.add(record)
    session.flush()
    parent_user = session.get(User, parent.user_id)
    audit.add_for_participant(
        session,
        participant=me,
        user=actor,
        action=audit.Action.consent_passed_over if not undo else audit.Action.consent_withdrawn,
        subject=f"consent:{record.id}",
        detail=(
            f"{'Overgeslagen' if not undo else 'Niet meer overgeslagen'}: "
            f"{parent_user.name if parent_user else 'ouder'} bij delen met {info.name}. {reason}"
        ).strip(),
    )
    session.commit()
    bus.publish(case_id)
    return record


def add_legal_ground(
    session: Session,
    *,
    participant: Participant,
    user: User,
    audience: str,
    ground: str,
    motivation: str,
    valid_until: date,
    on: date | None = None,
) -> Consent:
    """Add a legal-ground record for sharing without consent, in the caller's transaction
    (a step: the caller commits). Logged as access without consent, and shown to the family."""
    on = on or today()
    info = audience_or_error(audience)
    errors: dict[str, str] = {}
    if ground not in LEGAL_GROUNDS:
        errors["ground"] = "Kies een wettelijke grond."
    motivation = motivation.strip()
    if len(motivation) < MIN_MOTIVATION:
        errors["motivation"] = (
            f"Schrijf op waarom je deelt zonder toestemming, in minstens {MIN_MOTIVATION} tekens."
        )
    elif len(motivation) > MAX_MOTIVATION:
        errors["motivation"] = "Schrijf de reden korter op (hoogstens 5.000 tekens)."
    if errors:
        raise InvalidInput("Controleer de velden hieronder.", field_errors=errors)
    case = session.get(Case, participant.case_id)
    assert case is not None
    record = Consent(
        case_id=participant.case_id,
        subject_participant_id=_youth_participant_id(session, participant.case_id),
        kind=Kind.legal_ground,
        audience=audience,
        granted_by_participant_id=participant.id,  # type: ignore[arg-type]
        grantor_role=str(participant.role),
        age_band=str(age_band_on(case.youth_birth_date, on)),
        scope=list(info.scope),
        purpose=info.purpose,
        valid_until=valid_until,
        ground=ground,
        motivation=motivation,
        status=GIVEN,
    )
    session.add(record)
    session.flush()
    audit.add_for_participant(
        session,
        participant=participant,
        user=user,
        action=audit.Action.access_without_consent,
        subject=f"consent:{record.id}",
        ground=ground,
        detail=f"Delen met {info.name} zonder toestemming. Reden: {motivation}",
    )
    return record


def add_legal_ground_withdrawal(
    session: Session, *, participant: Participant, consent_id: int
) -> Consent | None:
    """Close a legal-ground line with a withdrawn version, in the caller's transaction (a
    step: the caller commits). None when the line was already closed."""
    record = session.get(Consent, consent_id)
    if record is None or record.kind != Kind.legal_ground:
        return None
    audit.lock_case(session, record.case_id)
    rows = _legal_rows(session, case_id=record.case_id, audience=record.audience)
    newest = _newest_version(record, rows)
    if newest.status != GIVEN:
        return None
    now = utcnow()
    closing = Consent(
        **newest.model_dump(
            exclude={
                "id",
                "version",
                "previous_id",
                "status",
                "created_at",
                "withdrawn_at",
                "granted_by_participant_id",
                "grantor_role",
                "grantor_gezag",
            }
        ),
        version=newest.version + 1,
        previous_id=newest.id,
        granted_by_participant_id=participant.id,  # type: ignore[arg-type]
        grantor_role=str(participant.role),
        status=WITHDRAWN,
        created_at=now,
        withdrawn_at=now,
    )
    session.add(closing)
    session.flush()
    return closing


# --- reading -------------------------------------------------------------------------------


def history(session: Session, *, case_id: str) -> list[Consent]:
    """Every version of every consent record of the case, newest first."""
    return list(
        session.exec(
            select(Consent).where(Consent.case_id == case_id).order_by(col(Consent.id).desc())
        ).all()
    )


def may_read_motivations(participant: Participant) -> bool:
    """A legal-ground motivation can be sensitive (e.g. a report to Veilig Thuis): the network
    and a person veiligheid is closed for see that it happened, not why."""
    return participant.role != Role.netwerk and not participant.safety_closed


def my_decision(session: Session, *, participant: Participant, audience: str) -> Consent | None:
    return _line_latest(
        session, case_id=participant.case_id, audience=audience, kind=Kind.consent
    ).get(participant.id or 0)

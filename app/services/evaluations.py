"""Evaluation rounds: before a zorgoverleg, everyone gives their own view in numbers.

The vast aanspreekpunt opens a round. Every participant who may read the plan is then asked
for their own 0–10 score of each goal that is still going and of each Big Five domain. The
scores are never averaged: each person's answer stays their own. Adopting the next version
closes the round (``close_open_round``, called by ``versions.adopt``); who was asked is kept
then, so an answer that never came shows as missing, not as a zero.

Answers are not co-edited, so they live in the database (``EvaluationRound``,
``EvaluationAnswer``) and not in a CRDT document. The goals asked about come from the plan
document as stored (every change is stored before anyone sees it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.crdt import store
from app.crdt.schema import options, read_document
from app.models import (
    Case,
    Document,
    EvaluationAnswer,
    EvaluationRound,
    Participant,
    Section,
    User,
    Version,
    today,
    utcnow,
)
from app.services import documents, notifications
from app.services.errors import Conflict, Forbidden, InvalidInput
from app.services.mail_texts import MailKind, notice_line
from app.services.membership import active_members, active_participant, require_aanspreekpunt
from app.settings import Settings

GOAL = "doel"
DOMAIN = "domein"
LOWEST, HIGHEST = 0, 10
# A goal that is reached or stopped is not "going" any more: nobody is asked to score it.
# Goals a round does not ask about: finished ones, and ones that wait to be started.
NOT_ASKED_GOAL_STATUSES = frozenset({"gehaald", "gestopt", "wacht"})
MAX_KEY_LENGTH = 64  # EvaluationAnswer.subject_key; a longer goal id cannot be stored
SCORE_ERROR = f"Kies een heel getal van {LOWEST} tot en met {HIGHEST}, of laat het leeg."


@dataclass(frozen=True)
class Question:
    """One thing a participant is asked to score: a goal (by its stable id) or a domain."""

    subject: str  # GOAL or DOMAIN
    key: str
    label: str

    @property
    def field_name(self) -> str:
        """The name of its form field, e.g. ``doel.3f9a`` or ``domein.wonen``."""
        return f"{self.subject}.{self.key}"


def goal_title(goal: dict[str, Any]) -> str:
    """A goal as people name it: the first line of what it wants to reach."""
    text = str(goal.get("doel") or "").strip()
    first = text.splitlines()[0] if text else ""
    if not first:
        return "Doel zonder tekst"
    return first if len(first) <= 120 else first[:119] + "…"


def goal_questions(plan: dict[str, Any]) -> list[Question]:
    """The goals of a plan (``read_document`` data) that people work on now."""
    return [
        Question(GOAL, goal["id"], goal_title(goal))
        for goal in plan.get("doelen", [])
        if goal.get("status") not in NOT_ASKED_GOAL_STATUSES and len(goal["id"]) <= MAX_KEY_LENGTH
    ]


def domain_questions() -> list[Question]:
    return [Question(DOMAIN, o["value"], o["label"]) for o in options("big_five")]


def _plan_document(session: Session, case_id: str) -> Document | None:
    return session.exec(
        select(Document).where(Document.case_id == case_id, Document.section == Section.plan)
    ).first()


def current_questions(session: Session, *, case_id: str) -> list[Question]:
    """What a round asks now: every goal people work on in the stored plan, then the domains."""
    plan = _plan_document(session, case_id)
    goals: list[Question] = []
    if plan is not None:
        doc = store.stored_doc(session.connection(), plan.id)
        goals = goal_questions(read_document("plan", doc))
    return [*goals, *domain_questions()]


# --- rounds ----------------------------------------------------------------------------------

ALREADY_OPEN = (
    "Er loopt al een evaluatieronde. Die sluit als jullie de volgende versie vaststellen."
)


def open_round_of(session: Session, *, case_id: str) -> EvaluationRound | None:
    """The round of the case that is open now, if any."""
    return session.exec(
        select(EvaluationRound).where(EvaluationRound.open_for_case_id == case_id)
    ).first()


def rounds_of(session: Session, *, case_id: str) -> list[EvaluationRound]:
    """Every round of the case, oldest first."""
    return list(
        session.exec(
            select(EvaluationRound)
            .where(EvaluationRound.case_id == case_id)
            .order_by(col(EvaluationRound.id))
        ).all()
    )


ROUND_AHEAD_DAYS = 366


def _meeting_date_problem(meeting: date) -> str | None:
    """A round asks for scores before a zorgoverleg that is still to come (today counts)."""
    if meeting < today():
        return "Die datum is al voorbij. Kies de dag van het volgende zorgoverleg."
    if (meeting - today()).days > ROUND_AHEAD_DAYS:
        return "Die datum ligt meer dan een jaar vooruit. Kies de dag van het volgende zorgoverleg."
    return None


def open_round(
    session: Session, *, actor: User, case_id: str, settings: Settings, meeting_date: str = ""
) -> EvaluationRound:
    """Open an evaluation round for the next zorgoverleg (only the vast aanspreekpunt), and
    tell everyone else who is asked, the way they chose for mail about rounds.

    Conflict (409) while another round is open; InvalidInput for a date that cannot be read.
    """
    place = require_aanspreekpunt(session, user=actor, case_id=case_id)
    meeting: date | None = None
    if meeting_date.strip():
        try:
            meeting = date.fromisoformat(meeting_date.strip())
        except ValueError:
            raise InvalidInput(
                "Controleer de datum.",
                field_errors={"meeting_date": "Vul de datum in als dag, maand en jaar."},
            ) from None
        if problem := _meeting_date_problem(meeting):
            raise InvalidInput("Controleer de datum.", field_errors={"meeting_date": problem})
    if open_round_of(session, case_id=case_id) is not None:
        raise Conflict(ALREADY_OPEN)
    evaluation = EvaluationRound(
        case_id=case_id,
        open_for_case_id=case_id,
        opened_by_participant_id=place.id,  # type: ignore[arg-type]
        meeting_date=meeting,
    )
    session.add(evaluation)
    _ask_for_scores(session, actor=actor, case_id=case_id, meeting=meeting, settings=settings)
    try:
        session.commit()
    except IntegrityError:  # someone else opened one at the same moment
        session.rollback()
        raise Conflict(ALREADY_OPEN) from None
    session.refresh(evaluation)
    return evaluation


def _ask_for_scores(
    session: Session, *, actor: User, case_id: str, meeting: date | None, settings: Settings
) -> None:
    case = session.get(Case, case_id)
    assert case is not None
    notifications.notify_all_but(
        session,
        users=[
            m.user
            for m in active_members(session, case_id=case_id)
            if is_asked(session, m.participant)
        ],
        actor=actor,
        kind=MailKind.ronde,
        line=notice_line(MailKind.ronde, family=case.label, when=meeting),
        path=f"/cases/{case_id}/evaluatie",
        settings=settings,
        case_id=case_id,
    )


def close_open_round(session: Session, *, case_id: str, version: Version) -> None:
    """Close the open round, if any, as ``version`` is adopted; keep who was asked. Part of
    adopting: the caller commits."""
    evaluation = open_round_of(session, case_id=case_id)
    if evaluation is None:
        return
    evaluation.open_for_case_id = None
    evaluation.closed_at = utcnow()
    evaluation.version_id = version.id
    evaluation.asked_participant_ids = [p.id for p in asked_participants(session, case_id=case_id)]  # type: ignore[misc]
    session.add(evaluation)


# --- who is asked, and what they answered ----------------------------------------------------


def is_asked(session: Session, participant: Participant) -> bool:
    """Whoever may read the plan is asked (the perspectief has the same readers)."""
    return documents.may_read_plan(session, participant=participant)


def asked_participants(session: Session, *, case_id: str) -> list[Participant]:
    """Everyone in the case now who is asked to score, in role order."""
    return [
        m.participant
        for m in active_members(session, case_id=case_id)
        if is_asked(session, m.participant)
    ]


def answers_of(
    session: Session, *, evaluation: EvaluationRound
) -> dict[tuple[int, str, str], int | None]:
    """(participant id, subject, key) → the newest score given in the round (None: taken
    back)."""
    rows = session.exec(
        select(EvaluationAnswer)
        .where(EvaluationAnswer.round_id == evaluation.id)
        .order_by(col(EvaluationAnswer.id))
    ).all()
    return {(row.participant_id, row.subject, row.subject_key): row.score for row in rows}


def my_answers(
    session: Session, *, evaluation: EvaluationRound, participant_id: int
) -> dict[str, int]:
    """Form field name → the score this participant gave (only answers that stand)."""
    return {
        f"{subject}.{key}": score
        for (pid, subject, key), score in answers_of(session, evaluation=evaluation).items()
        if pid == participant_id and score is not None
    }


def parse_scores(
    questions: list[Question], form: Mapping[str, str]
) -> tuple[dict[Question, int | None], dict[str, str]]:
    """The scores in ``form`` for ``questions`` (an empty field: no score) and an error per
    field that holds anything but a whole number from 0 to 10. A question without a field
    (a goal added after the page was loaded) is left out: nothing is guessed for it."""
    scores: dict[Question, int | None] = {}
    errors: dict[str, str] = {}
    for question in questions:
        raw = form.get(question.field_name)
        if raw is None:
            continue
        raw = raw.strip()
        if not raw:
            scores[question] = None
        elif raw.isascii() and raw.isdigit() and LOWEST <= int(raw) <= HIGHEST:
            scores[question] = int(raw)
        else:
            errors[question.field_name] = SCORE_ERROR
    return scores, errors


NO_OPEN_ROUND = (
    "Er loopt nu geen evaluatieronde. Misschien is de versie net vastgesteld. "
    "Je cijfers zijn niet opgeslagen."
)
NOT_ASKED = "Jij kunt het plan (nog) niet lezen. Daarom hoef je geen cijfers te geven."


def record_answers(session: Session, *, actor: User, case_id: str, form: Mapping[str, str]) -> int:
    """Store the actor's own scores from ``form`` in the open round; returns how many
    changed. InvalidInput (nothing stored) when any score is not a whole number 0–10."""
    participant = active_participant(session, user=actor, case_id=case_id)
    evaluation = open_round_of(session, case_id=case_id)
    if evaluation is None:
        raise Conflict(NO_OPEN_ROUND)
    if not is_asked(session, participant):
        raise Forbidden(NOT_ASKED)
    scores, errors = parse_scores(current_questions(session, case_id=case_id), form)
    if errors:
        raise InvalidInput("Controleer de cijfers hieronder.", field_errors=errors)
    given = answers_of(session, evaluation=evaluation)
    changed = 0
    for question, score in scores.items():
        key = (participant.id, question.subject, question.key)
        if given.get(key) == score:  # type: ignore[arg-type]
            continue
        session.add(
            EvaluationAnswer(
                round_id=evaluation.id,  # type: ignore[arg-type]
                participant_id=participant.id,  # type: ignore[arg-type]
                subject=question.subject,
                subject_key=question.key,
                score=score,
            )
        )
        changed += 1
    session.commit()
    return changed


# --- what waits for a person (the worklist and the start page use this) ------------------------


@dataclass(frozen=True)
class RoundStatus:
    """How far one participant is in the open round of a case."""

    case: Case
    evaluation: EvaluationRound
    participant: Participant
    asked: int
    answered: int

    @property
    def done(self) -> bool:
        return self.answered >= self.asked

    @property
    def due(self) -> date | None:
        """The zorgoverleg the round is for, when it was given."""
        return self.evaluation.meeting_date

    @property
    def opened_at(self) -> datetime:
        return self.evaluation.opened_at


def _status(
    case: Case,
    evaluation: EvaluationRound,
    participant: Participant,
    questions: list[Question],
    given: dict[tuple[int, str, str], int | None],
) -> RoundStatus:
    pid = participant.id or 0
    answered = sum(1 for q in questions if given.get((pid, q.subject, q.key)) is not None)
    return RoundStatus(case, evaluation, participant, len(questions), answered)


def status_for(
    session: Session, *, participant: Participant, evaluation: EvaluationRound
) -> RoundStatus | None:
    """How far ``participant`` is in ``evaluation``; None when they are not asked."""
    if not is_asked(session, participant):
        return None
    case = session.get(Case, participant.case_id)
    assert case is not None
    questions = current_questions(session, case_id=participant.case_id)
    return _status(
        case, evaluation, participant, questions, answers_of(session, evaluation=evaluation)
    )


def everyone_in(session: Session, *, evaluation: EvaluationRound) -> list[RoundStatus]:
    """How far each asked participant is in ``evaluation``, in role order (the questions and
    the answers are read once for all of them)."""
    case = session.get(Case, evaluation.case_id)
    assert case is not None
    questions = current_questions(session, case_id=evaluation.case_id)
    given = answers_of(session, evaluation=evaluation)
    return [
        _status(case, evaluation, place, questions, given)
        for place in asked_participants(session, case_id=evaluation.case_id)
    ]


def open_requests_for(session: Session, user: User) -> list[RoundStatus]:
    """Every open round, over all the user's cases, in which the user still has scores to
    give, for the family's start page. Each item says the case, the round, and how many of
    the questions are answered."""
    places = session.exec(select(Participant).where(Participant.user_id == user.id)).all()
    waiting = []
    for place in places:
        if not place.is_active:
            continue
        evaluation = open_round_of(session, case_id=place.case_id)
        if evaluation is None:
            continue
        status = status_for(session, participant=place, evaluation=evaluation)
        if status is not None and not status.done:
            waiting.append(status)
    waiting.sort(key=lambda s: (s.due or date.max, s.case.label))
    return waiting

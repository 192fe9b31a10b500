"""Progress across evaluations: the Big Five and the goals, from one adopted version to the
next, and now.

Every adopted version keeps an immutable snapshot of the perspectief and the plan; this
module reads, per version and for the live state, per Big Five domain the youth's own 0–10
score (``schaal_jongere``), the professional's 1–5 self-reliance score (``zelfredzaamheid``),
the norm ("wat is stabiel genoeg") and whether it is met, and per goal (by its stable id) its
status. The evaluation rounds (``services/evaluations.py``) add everyone's own 0–10 score.

Whether a norm is met is the professionals' judgement, not arithmetic: the norm is words, so
they choose ``norm_gehaald`` (ja / nee) per domain in the perspectief, and the version freezes
it with the rest. It counts only where the norm itself is written down. The server never
guesses: a score that is missing or outside its range is shown as such, never as a zero,
never as the nearest valid number, and never drawn.

Only what the reader may read: the domains need the perspectief, the goals the plan; whoever
can read neither sees neither. "Klaar om los te laten?" is a signal for professionals and for
the zorgoverleg's paper, never a decision.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pycrdt import Doc, Map, Text
from sqlmodel import Session, select

from app.crdt.restore import load_doc
from app.crdt.schema import option_label, options, read_document
from app.models import (
    Case,
    Document,
    EvaluationRound,
    Participant,
    Role,
    Section,
    User,
    Version,
    today,
)
from app.services import cases, documents, evaluations, versions
from app.services.membership import PROFESSIONAL_ROLES, ROLE_LABELS, participant_names
from app.services.progress_chart import ChartValue, LineChart, line_chart

SCALES: dict[str, tuple[int, int]] = {"schaal_jongere": (0, 10), "zelfredzaamheid": (1, 5)}
SCALE_LABELS = {
    "schaal_jongere": "Cijfer van de jongere",
    "zelfredzaamheid": "Zelfredzaamheid",
}
# The youth reads about herself in the second person.
YOUTH_SCALE_LABELS = {**SCALE_LABELS, "schaal_jongere": "Jouw cijfer"}

# The plan's goal status (schema.json, doel_status) in the words of an evaluation.
GOAL_STATUS = {"wacht": "nieuw", "actief": "loopt", "gehaald": "behaald", "gestopt": "gestopt"}
GOAL_STATUS_LABELS = {
    "nieuw": "Nieuw",
    "loopt": "Loopt",
    "behaald": "Behaald",
    "gestopt": "Gestopt",
}

CHART_MOMENTS = 10  # a chart shows the newest ten moments; the table shows every one


@dataclass(frozen=True)
class Moment:
    """An evaluation: an adopted version, or now (``version`` None)."""

    version: Version | None
    when: date

    @property
    def number(self) -> int | None:
        return self.version.number if self.version else None

    @property
    def label(self) -> str:
        return f"Versie {self.version.number}" if self.version else "Nu"

    @property
    def short(self) -> str:
        return f"V{self.version.number}" if self.version else "Nu"


@dataclass(frozen=True)
class Score:
    """A score as the document holds it: a whole number in range, or the reason there is
    none: ``leeg`` (nobody gave one) or ``ongeldig`` (something outside the scale)."""

    value: int | None
    problem: str = ""

    @property
    def shown(self) -> str:
        if self.value is not None:
            return str(self.value)
        return "ongeldig" if self.problem == "ongeldig" else "ontbreekt"


def read_score(values: Map, key: str) -> Score:
    """The score under ``key``, checked against its scale. Only a whole number counts: the
    editor stores whole numbers, so 6.5 or 14 came from elsewhere and is not rounded."""
    low, high = SCALES[key]
    raw = values.get(key)
    if raw is None:
        return Score(None, "leeg")
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        return Score(None, "ongeldig")
    if raw != int(raw) or not low <= raw <= high:
        return Score(None, "ongeldig")
    return Score(int(raw))


@dataclass(frozen=True)
class Norm:
    text: str
    choice: str | None  # "ja", "nee" or None (not judged)

    @property
    def met(self) -> bool | None:
        """True or False as the professionals chose; None while not judged, or while the
        norm itself is not written down (a "ja" then says nothing)."""
        if not self.text.strip() or self.choice is None:
            return None
        return self.choice == "ja"

    @property
    def shown(self) -> str:
        if not self.text.strip():
            if self.choice == "ja":
                return "Telt nog niet: er staat niet beschreven wat stabiel genoeg is"
            return "Nog niet beschreven wat stabiel genoeg is"
        if self.choice is None:
            return "Nog niet beoordeeld"
        return "Ja, stabiel genoeg" if self.choice == "ja" else "Nog niet stabiel genoeg"

    @property
    def mark(self) -> str:
        """A sign beside the words, so the answer does not hang on colour."""
        return {True: "✓", False: "✗", None: "?"}[self.met]


def read_norm(doc: Doc[Any], domain: str) -> Norm:
    text = doc.get(f"domein.{domain}.norm", type=Text)
    choice = doc.get(f"domein.{domain}", type=Map).get("norm_gehaald")
    allowed = {o["value"] for o in options("norm_gehaald")}
    return Norm(str(text), choice if choice in allowed else None)


@dataclass(frozen=True)
class DomainPoint:
    moment: Moment
    schaal_jongere: Score
    zelfredzaamheid: Score
    norm: Norm


@dataclass(frozen=True)
class Person:
    """A column of the score tables: someone who was asked in a round, or answered."""

    participant_id: int
    name: str
    role_label: str


@dataclass(frozen=True)
class Cell:
    """One person's own score at one evaluation: a number, missing (asked, no answer) or
    not asked (not in the round, or the goal was not asked about then)."""

    score: int | None
    asked: bool

    @property
    def shown(self) -> str:
        if self.score is not None:
            return str(self.score)
        return "ontbreekt" if self.asked else "niet gevraagd"


@dataclass(frozen=True)
class ScoreRow:
    moment: Moment
    open: bool  # the round is still open: answers may still come
    cells: list[Cell]


@dataclass
class DomainProgress:
    domain: str
    label: str
    points: list[DomainPoint]
    rows: list[ScoreRow] = field(default_factory=list)

    @property
    def latest(self) -> DomainPoint:
        return self.points[-1]

    @property
    def norm_met(self) -> bool | None:
        """At the newest moment (now, or the version printed)."""
        return self.latest.norm.met if self.points else None

    @property
    def chart_is_cut(self) -> bool:
        """More moments than a chart shows: it shows the newest, the table all of them."""
        return len(self.points) > CHART_MOMENTS

    def charts(self, youth: bool = False) -> list[LineChart]:
        """The youth's scale and the self-reliance score, one small chart each (``youth``:
        worded for the youth herself)."""
        labels = YOUTH_SCALE_LABELS if youth else SCALE_LABELS
        shown = self.points[-CHART_MOMENTS:]
        result = []
        for key, marker, dashed, step in (
            ("schaal_jongere", "circle", False, 2),
            ("zelfredzaamheid", "square", True, 1),
        ):
            low, high = SCALES[key]
            scores = [(p.moment, getattr(p, key)) for p in shown]
            spoken = "; ".join(f"{m.label}: {s.shown}" for m, s in scores)
            result.append(
                line_chart(
                    chart_id=f"grafiek-{self.domain}-{key}",
                    title=f"{labels[key]} ({low} tot {high}) bij {self.label}. {spoken}.",
                    values=[
                        ChartValue(m.short, s.value, s.problem, m.version is None)
                        for m, s in scores
                    ],
                    low=low,
                    high=high,
                    step=step,
                    marker=marker,
                    dashed=dashed,
                )
            )
        return result


@dataclass(frozen=True)
class GoalRow:
    """A goal at one moment it was in the plan: its status (None: none chosen) and, when the
    moment had an evaluation round, everyone's own score."""

    moment: Moment
    status: str | None
    scores: ScoreRow | None

    @property
    def status_label(self) -> str:
        return GOAL_STATUS_LABELS[self.status] if self.status else "Geen status gekozen"


@dataclass
class GoalProgress:
    id: str
    title: str
    domain: str | None
    domain_label: str
    history: list[GoalRow] = field(default_factory=list)
    in_plan_last: bool = True

    @property
    def status_now(self) -> str | None:
        return self.history[-1].status if self.history else None


@dataclass(frozen=True)
class NotMet:
    domain: str
    label: str
    reasons: list[str]


@dataclass(frozen=True)
class Readiness:
    """All five domains met their norm at the last two evaluations (adopted versions)?"""

    ready: bool
    evaluations: list[Moment]
    not_met: list[NotMet]
    too_few: bool  # fewer than two versions adopted: not ready, whatever the norms say


@dataclass(frozen=True)
class Missing:
    moment: Moment
    domain: str
    field: str  # schaal_jongere, zelfredzaamheid, norm or norm_gehaald
    reason: str  # leeg or ongeldig


MISSING_WORDS = {
    ("schaal_jongere", "leeg"): "Geen cijfer van de jongere",
    ("schaal_jongere", "ongeldig"): "Cijfer van de jongere kan niet (moet 0 tot en met 10 zijn)",
    ("zelfredzaamheid", "leeg"): "Geen score voor zelfredzaamheid",
    ("zelfredzaamheid", "ongeldig"): (
        "Score voor zelfredzaamheid kan niet (moet 1 tot en met 5 zijn)"
    ),
    ("norm", "leeg"): "Niet beschreven wat stabiel genoeg is",
    ("norm_gehaald", "leeg"): "Niet beoordeeld of het stabiel genoeg is",
}


@dataclass
class Progress:
    case: Case
    reader_place: Participant
    moments: list[Moment]
    people: list[Person]
    domains: list[DomainProgress] | None  # None: the reader may not read the perspectief
    goals: list[GoalProgress] | None  # None: the reader may not read the plan
    readiness: Readiness | None  # None: not for this reader
    missing: list[Missing]
    open_round: EvaluationRound | None

    @property
    def adopted(self) -> list[Moment]:
        return [m for m in self.moments if m.version is not None]

    def missing_by_moment(self) -> list[tuple[Moment, list[str]]]:
        """Per moment, one line per kind of gap: 'Geen cijfer van de jongere: Wonen, Inkomen'."""
        labels = {o["value"]: o["label"] for o in options("big_five")}
        grouped: dict[int | None, dict[tuple[str, str], list[str]]] = {}
        for item in self.missing:
            kinds = grouped.setdefault(item.moment.number, {})
            kinds.setdefault((item.field, item.reason), []).append(labels[item.domain])
        every = len(labels)
        result = []
        for moment in self.moments:
            gaps = grouped.get(moment.number)
            if gaps:
                lines = [
                    f"{MISSING_WORDS[kind]}: "
                    f"{'alle vijf levensgebieden' if len(where) == every else ', '.join(where)}."
                    for kind, where in gaps.items()
                ]
                result.append((moment, lines))
        return result


# --- building it ------------------------------------------------------------------------------


def readable_document_ids(session: Session, *, user: User, case_id: str) -> list[str]:
    """The plan and perspectief documents ``user`` may read (their live state is "now").
    NotFound for anyone not in the case."""
    return [
        access.document.id
        for access in documents.documents_for_user(session, user=user, case_id=case_id)
        if access.document.section in (Section.plan, Section.perspectief)
    ]


def sees_readiness(participant: Participant) -> bool:
    """Professionals see "klaar om los te laten?" on the page; the print shows it to all."""
    return participant.role in PROFESSIONAL_ROLES


def readiness_signal(session: Session, *, user: User, case_id: str) -> Readiness | None:
    """ "Klaar om los te laten?" from the adopted versions alone, for the case page of a
    professional; None for anyone else, or when they may not read the perspectief."""
    mine = cases.case_for(session, user=user, case_id=case_id)
    if not sees_readiness(mine.participant):
        return None
    latest = versions.latest_version(session, case_id=case_id)
    if latest is None:
        return Readiness(ready=False, evaluations=[], not_met=[], too_few=True)
    return build(session, user=user, case_id=case_id, now_states=None, upto=latest).readiness


def _moment_date(version: Version) -> date:
    if version.meeting_date is not None:
        return version.meeting_date
    return version.adopted_at.date()


def build(
    session: Session,
    *,
    user: User,
    case_id: str,
    now_states: dict[str, bytes] | None,
    upto: Version | None = None,
    for_print: bool = False,
) -> Progress:
    """The progress of the case as ``user`` may read it.

    ``upto`` None: every adopted version and now (``now_states``: the live state of the
    documents ``readable_document_ids`` names). ``upto`` a version: the versions up to and
    including it, nothing later and no "now" (the print of that version).
    """
    mine = cases.case_for(session, user=user, case_id=case_id)
    readable: dict[Section, Document] = {
        access.document.section: access.document
        for access in documents.documents_for_user(session, user=user, case_id=case_id)
        if access.document.section in (Section.plan, Section.perspectief)
    }
    history = sorted(versions.list_versions(session, case_id=case_id), key=lambda v: v.number)
    if upto is not None:
        history = [v for v in history if v.number <= upto.number]
    moments = [Moment(v, _moment_date(v)) for v in history]
    states: list[dict[str, bytes]] = [versions.frozen_states(session, version=v) for v in history]
    if upto is None:
        moments.append(Moment(None, today()))
        states.append(now_states or {})

    def docs_of(section: Section) -> list[Doc[Any]] | None:
        document = readable.get(section)
        if document is None:
            return None
        return [load_doc(state.get(document.id, b"")) for state in states]

    rounds = _rounds_by_moment(session, case_id, moments)
    people = _people(session, case_id, rounds)
    perspectives = docs_of(Section.perspectief)
    plans = docs_of(Section.plan)
    domains = None
    missing: list[Missing] = []
    if perspectives is not None:
        domains = _domains(moments, perspectives, rounds, people)
        missing = _missing(domains)
    goals = None
    if plans is not None:
        goals = _goals(moments, [read_document("plan", doc) for doc in plans], rounds, people)
    readiness = None
    if domains is not None and (for_print or sees_readiness(mine.participant)):
        readiness = readiness_of(domains, moments)
    open_round = None if upto is not None else evaluations.open_round_of(session, case_id=case_id)
    return Progress(
        case=mine.case,
        reader_place=mine.participant,
        moments=moments,
        people=people,
        domains=domains,
        goals=goals,
        readiness=readiness,
        missing=missing,
        open_round=open_round,
    )


@dataclass(frozen=True)
class _Round:
    """A round as one moment of the progress: who was asked and what they answered."""

    evaluation: EvaluationRound
    asked: frozenset[int]
    answers: dict[tuple[int, str, str], int | None]

    @property
    def is_open(self) -> bool:
        return self.evaluation.closed_at is None


def _rounds_by_moment(
    session: Session, case_id: str, moments: list[Moment]
) -> dict[int | None, _Round]:
    """Moment number → its round: a closed round belongs to the version that closed it, the
    open one to now."""
    by_version_id = {m.version.id: m.number for m in moments if m.version is not None}
    has_now = any(m.version is None for m in moments)
    result: dict[int | None, _Round] = {}
    for evaluation in evaluations.rounds_of(session, case_id=case_id):
        if evaluation.closed_at is None:
            if not has_now:
                continue
            current = evaluations.asked_participants(session, case_id=case_id)
            asked = frozenset(p.id for p in current if p.id is not None)
            key: int | None = None
        elif evaluation.version_id in by_version_id:
            asked = frozenset(evaluation.asked_participant_ids)
            key = by_version_id[evaluation.version_id]
        else:
            continue
        result[key] = _Round(
            evaluation, asked, evaluations.answers_of(session, evaluation=evaluation)
        )
    return result


def _people(session: Session, case_id: str, rounds: dict[int | None, _Round]) -> list[Person]:
    ids: set[int] = set()
    for found in rounds.values():
        ids |= found.asked
        ids |= {pid for (pid, _, _), score in found.answers.items() if score is not None}
    if not ids:
        return []
    names = participant_names(session, case_id=case_id)
    places = session.exec(select(Participant).where(Participant.id.in_(ids))).all()  # type: ignore[union-attr]
    order = list(Role)
    places = sorted(places, key=lambda p: (order.index(p.role), names.get(p.id or 0, ""), p.id))
    return [
        Person(p.id, names.get(p.id, "iemand die niet meer meedoet"), ROLE_LABELS[p.role])  # type: ignore[arg-type]
        for p in places
    ]


def _rows(
    moments: list[Moment],
    rounds: dict[int | None, _Round],
    people: list[Person],
    subject: str,
    key: str,
    asked_about: Iterable[int | None],
) -> list[ScoreRow]:
    """One row per moment that had a round; ``asked_about``: the moments whose round asked
    about this subject."""
    about = set(asked_about)
    rows = []
    for moment in moments:
        found = rounds.get(moment.number)
        if found is None:
            continue
        cells = []
        for person in people:
            score = found.answers.get((person.participant_id, subject, key))
            asked = person.participant_id in found.asked and moment.number in about
            cells.append(Cell(score, asked))
        rows.append(ScoreRow(moment, found.is_open, cells))
    return rows


def _domains(
    moments: list[Moment],
    perspectives: list[Doc[Any]],
    rounds: dict[int | None, _Round],
    people: list[Person],
) -> list[DomainProgress]:
    result = []
    for option in options("big_five"):
        domain = option["value"]
        points = []
        for moment, doc in zip(moments, perspectives, strict=True):
            values = doc.get(f"domein.{domain}", type=Map)
            points.append(
                DomainPoint(
                    moment,
                    read_score(values, "schaal_jongere"),
                    read_score(values, "zelfredzaamheid"),
                    read_norm(doc, domain),
                )
            )
        every = [m.number for m in moments]
        rows = _rows(moments, rounds, people, evaluations.DOMAIN, domain, every)
        result.append(DomainProgress(domain, option["label"], points, rows))
    return result


def _goals(
    moments: list[Moment],
    plans: list[dict[str, Any]],
    rounds: dict[int | None, _Round],
    people: list[Person],
) -> list[GoalProgress]:
    """Every goal that was ever in the plan, followed by its stable id: the goals in the
    newest plan first (in its order), then the ones that left it."""
    found: dict[str, GoalProgress] = {}
    seen_at: dict[str, list[tuple[Moment, str | None]]] = {}
    asked_at: dict[str, list[int | None]] = {}
    for moment, plan in zip(moments, plans, strict=True):
        asked_ids = {q.key for q in evaluations.goal_questions(plan)}
        for goal in plan.get("doelen", []):
            goal_id = goal["id"]
            domain = goal.get("domein")
            # the newest wording and domain count, so a goal keeps one name in the overview
            found.pop(goal_id, None)
            found[goal_id] = GoalProgress(
                goal_id, evaluations.goal_title(goal), domain, option_label("big_five", domain)
            )
            seen_at.setdefault(goal_id, []).append(
                (moment, GOAL_STATUS.get(goal.get("status") or ""))
            )
            if goal_id in asked_ids:
                asked_at.setdefault(goal_id, []).append(moment.number)
    last = moments[-1].number if moments else None
    for goal in found.values():
        score_rows = {
            row.moment.number: row
            for row in _rows(
                moments, rounds, people, evaluations.GOAL, goal.id, asked_at.get(goal.id, [])
            )
        }
        goal.history = [
            GoalRow(moment, status, score_rows.get(moment.number))
            for moment, status in seen_at[goal.id]
        ]
        goal.in_plan_last = bool(moments) and goal.history[-1].moment.number == last
    # ``found`` holds the goals in the order of the newest plan each was in; a stable sort
    # puts the goals still in the plan first, in their order there
    return sorted(found.values(), key=lambda g: not g.in_plan_last)


def _missing(domains: list[DomainProgress]) -> list[Missing]:
    result = []
    for domain in domains:
        for point in domain.points:
            for key in ("schaal_jongere", "zelfredzaamheid"):
                score: Score = getattr(point, key)
                if score.value is None:
                    result.append(Missing(point.moment, domain.domain, key, score.problem))
            if not point.norm.text.strip():
                result.append(Missing(point.moment, domain.domain, "norm", "leeg"))
            if point.norm.choice is None:
                result.append(Missing(point.moment, domain.domain, "norm_gehaald", "leeg"))
    return result


def readiness_of(domains: list[DomainProgress], moments: list[Moment]) -> Readiness:
    """Ready when every domain met its norm at both of the last two adopted versions; which
    domains did not, and why, in words. With fewer than two versions nobody is ready yet."""
    adopted = [m for m in moments if m.version is not None][-2:]
    numbers = {m.number for m in adopted}
    not_met = []
    for domain in domains:
        # "Versie 2 en versie 3: nog niet stabiel genoeg." rather than the same words twice
        by_words: dict[str, list[str]] = {}
        for point in domain.points:
            if point.moment.number in numbers and point.norm.met is not True:
                by_words.setdefault(point.norm.shown, []).append(point.moment.label)
        reasons = [
            f"{' en '.join(labels).replace(' en Versie', ' en versie')}: "
            f"{words[0].lower()}{words[1:]}."
            for words, labels in by_words.items()
        ]
        if reasons:
            not_met.append(NotMet(domain.domain, domain.label, reasons))
    return Readiness(
        ready=len(adopted) == 2 and not not_met,
        evaluations=adopted,
        not_met=not_met,
        too_few=len(adopted) < 2,
    )

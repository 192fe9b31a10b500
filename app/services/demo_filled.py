"""A filled-in demo family (fictional): what ``make run`` shows a newcomer.

The analysis with strengths, concerns, factors and hypotheses, a plan with goals and actions,
the perspective with scores, a safety agreement, everyone's own story and two adopted versions,
written the way people would have written them over six weeks: each change is one update in
the log, under a Yjs client id of its author (bound to them, as the sync server binds it), so
the documents load, compare and restore like real ones. Consent is left for the family to give.

After version 2 the youth and her mother opened the plan, the analysis and the perspective;
then others wrote some more, so both see "nieuw sinds je laatste bezoek".
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session

from app.crdt.log_insert import LogInsert, LogRow
from app.crdt.schema import section_schema
from app.models import (
    Case,
    CheckpointReason,
    Document,
    DocumentSeen,
    Participant,
    Role,
    User,
    today,
)
from app.services import checkpoints, update_log, versions
from app.services.documents import section_key
from app.services.membership import active_members
from app.settings import Settings


@dataclass
class _Documents:
    """The case's documents as the demo writes them: a Doc per document, the Yjs client id of
    each author in each document, and who is who."""

    session: Session
    case: Case
    by_section: dict[str, Document] = field(default_factory=dict)
    docs: dict[str, Doc] = field(default_factory=dict)
    clients: dict[tuple[str, int], int] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)  # role key → account
    places: dict[str, Participant] = field(default_factory=dict)  # role key → participant
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def pid(self, key: str) -> str:
        return str(self.places[key].id)

    def story(self, key: str) -> str:
        return f"verhaal/{self.places[key].id}"

    def write(self, section: str, author: str, change: Callable[[Doc], None]) -> None:
        """One edit by ``author`` (a role key), stored as one update in the log."""
        document = self.by_section[section]
        doc = self.docs.setdefault(document.id, Doc(skip_gc=True))
        user_id = self.users[author].id
        assert user_id is not None
        key = (document.id, user_id)
        new_clients: tuple[int, ...] = ()
        if key not in self.clients:
            self.clients[key] = secrets.randbelow(2**31 - 1) + 1
            new_clients = (self.clients[key],)
        editor: Doc = Doc(client_id=self.clients[key], skip_gc=True)
        editor.apply_update(doc.get_update())
        before = editor.get_state()
        with editor.transaction():
            change(editor)
        update = editor.get_update(before)
        doc.apply_update(update)
        self.at += timedelta(minutes=7)
        row = LogRow(document.id, update, user_id, self.at, new_clients)
        connection = self.session.connection()
        for sql, parameters in LogInsert(connection.dialect).statements([row]):
            connection.exec_driver_sql(sql, parameters)  # type: ignore[arg-type]
        self.session.commit()

    def states(self) -> dict[str, bytes]:
        return {
            document.id: update_log.state_at(
                self.session,
                document_id=document.id,
                upto_update_id=update_log.newest_update_id(self.session, document_id=document.id),
            )
            for document in self.by_section.values()
        }

    def seen_by(self, key: str, *sections: str) -> None:
        """``key`` opened these documents now."""
        for section in sections:
            document = self.by_section[section]
            self.session.add(
                DocumentSeen(
                    user_id=self.users[key].id,  # type: ignore[arg-type]
                    document_id=document.id,
                    upto_update_id=update_log.newest_update_id(
                        self.session, document_id=document.id
                    ),
                    seen_at=self.at,
                )
            )
        self.session.commit()

    def session_ended(self) -> None:
        """An automatic checkpoint of every document that changed, as after a session."""
        for document in self.by_section.values():
            kept = checkpoints.save_if_changed(
                self.session, document_id=document.id, reason=CheckpointReason.session_end
            )
            if kept is not None:
                kept.created_at = self.at
                self.session.add(kept)
        self.session.commit()


def _item(section: str, block: str, values: dict[str, Any], *, field_key: str = "") -> Map:
    """A list item as the editor makes one: every text a Y.Text, every list a Y.Array."""
    fields = _item_fields(section, block, field_key)
    content: dict[str, Any] = {"id": secrets.token_hex(6)}
    for f in fields:
        kind, key = f["kind"], f["key"]
        value = values.get(key)
        if kind in ("text", "line"):
            content[key] = Text(value or "")
        elif kind in ("refs", "list"):
            content[key] = Array(value or [])
        elif kind == "person":
            content[f"{key}_naam"] = Text(values.get(f"{key}_naam", ""))
            if value is not None:
                content[key] = value
        elif kind == "number" and value is not None:
            content[key] = float(value)  # a JavaScript number, as the editor stores it
        elif value is not None:
            content[key] = value
        elif "default" in f:
            content[key] = f["default"]
    if "id" in values:
        content["id"] = values["id"]
    return Map(content)


def _item_fields(section: str, block: str, field_key: str) -> list[dict[str, Any]]:
    for b in section_schema(section)["blocks"]:
        if b["key"] == block:
            item = b["item"]
            if field_key:
                item = next(f for f in item["fields"] if f["key"] == field_key)["item"]
            return item["fields"]  # type: ignore[no-any-return]
    raise KeyError(block)


def _texts(values: dict[str, str]) -> Callable[[Doc], None]:
    """A change that writes each text root of ``values``."""

    def change(doc: Doc) -> None:
        for root, text in values.items():
            _set_text(doc, root, text)

    return change


def _set_text(doc: Doc, root: str, text: str) -> None:
    value = doc.get(root, type=Text)
    if len(value):
        del value[0 : len(value)]
    value.insert(0, text)


def fill_demo_case(session: Session, *, case: Case, settings: Settings) -> None:
    """Write six weeks of a fictional family's work into the demo ``case`` (youth Sanne, 14)."""
    members = active_members(session, case_id=case.id)
    keys = {
        Role.aanspreekpunt: "wij",
        Role.jongere: "sanne",
        Role.specialist: "accare",
        Role.netwerk: "oma",
    }
    w = _Documents(session, case, at=_day(-35, 9))
    # the mother was added before the father (``demo.seed_demo_case``)
    parents = sorted(
        (m for m in members if m.participant.role == Role.ouder),
        key=lambda m: m.participant.id or 0,
    )
    for member in members:
        key = keys.get(member.participant.role)
        if member.participant.role == Role.ouder:
            key = "moeder" if member is parents[0] else "vader"
        assert key is not None
        w.users[key] = member.user
        w.places[key] = member.participant
    for document in versions.case_documents(session, case_id=case.id):
        w.by_section[section_key(document)] = document
    _first_weeks(w)
    w.at = _day(-30, 15)
    first = versions.adopt(
        session,
        actor=w.users["wij"],
        case_id=case.id,
        title="Eerste zorgoverleg",
        meeting_date=(today() - timedelta(days=30)).isoformat(),
        decisions=(
            "We werken eerst aan naar school gaan en beter slapen. Bram (Accare) start "
            "gesprekken met Sanne. Wendy is het vaste aanspreekpunt voor iedereen."
        ),
        next_evaluation_date=(today() + timedelta(days=14)).isoformat(),
        states=w.states(),
        adopted_at=w.at,
        settings=settings,
    )
    _answer(session, w, first.number, "sanne", "akkoord", "")
    _answer(session, w, first.number, "moeder", "akkoord", "")
    _answer(
        session,
        w,
        first.number,
        "vader",
        "akkoord_met_opmerking",
        "Ik wil vaker horen hoe het gaat.",
    )
    w.at = _day(-20, 10)
    _after_first_meeting(w)
    w.at = _day(-7, 15)
    second = versions.adopt(
        session,
        actor=w.users["wij"],
        case_id=case.id,
        title="Tussenoverleg",
        meeting_date=(today() - timedelta(days=7)).isoformat(),
        decisions="Mama en papa maken samen afspraken over de telefoon. Doel 3 komt erbij.",
        states=w.states(),  # the next evaluation date carries over from the first meeting
        adopted_at=w.at,
        settings=settings,
    )
    _answer(session, w, second.number, "sanne", "akkoord", "")
    w.at = _day(-5, 16)
    w.seen_by("sanne", "plan", "analyse", "perspectief", w.story("sanne"))
    w.seen_by("moeder", "plan", "analyse", "perspectief", w.story("moeder"))
    w.at = _day(-2, 11)
    _since_the_last_visit(w)


def _day(days: int, hour: int) -> datetime:
    """A moment ``days`` from today at ``hour`` o'clock (UTC)."""
    return datetime.combine(today() + timedelta(days=days), time(hour), UTC)


def _answer(
    session: Session, w: _Documents, number: int, key: str, decision: str, remark: str
) -> None:
    versions.record_approval(
        session,
        actor=w.users[key],
        case_id=w.case.id,
        number=number,
        decision=decision,
        remark=remark,
    )


def _first_weeks(w: _Documents) -> None:
    """Everyone's story, the analysis, the first goals and the perspective."""
    w.write(
        w.story("sanne"),
        "sanne",
        _texts(
            {
                "hulpvraag": "Ik wil weer naar school durven gaan en beter slapen.",
                "mijn_verhaal": (
                    "Sinds mama en papa uit elkaar zijn, lig ik 's nachts wakker. Dan zit ik op "
                    "mijn telefoon. 's Ochtends ben ik zo moe dat ik niet naar school ga. In de "
                    "brugklas werd ik gepest. Dat is voorbij, maar ik ben bang dat het terugkomt."
                ),
                "bereiken": "Dat ik weer elke dag ga en dat er thuis minder ruzie is.",
            }
        ),
    )
    w.write(
        w.story("moeder"),
        "moeder",
        _texts(
            {
                "hulpvraag": "Hoe krijg ik Sanne weer naar school, zonder elke ochtend ruzie?",
                "mijn_verhaal": (
                    "Sanne was altijd een vrolijke meid. Sinds de scheiding trekt ze zich terug. "
                    "Ik werk vroeg en kan 's ochtends niet altijd thuis zijn."
                ),
                "bereiken": "Rust in huis, en dat Sanne haar diploma haalt.",
            }
        ),
    )
    w.write(
        w.story("vader"),
        "vader",
        _texts(
            {
                "hulpvraag": "Ik wil beter weten hoe het met Sanne gaat.",
                "mijn_verhaal": (
                    "Ik woon sinds vorig jaar in Haren. Sanne is om het weekend bij mij. Dan gaat "
                    "het goed, maar ik hoor weinig van school."
                ),
            }
        ),
    )
    # the aanspreekpunt writes down what the father said on the phone, on his behalf
    w.write(
        w.story("vader"),
        "wij",
        lambda d: _set_text(d, "bereiken", "Dat Sanne en ik ook doordeweeks contact hebben."),
    )
    w.write(
        w.story("oma"),
        "oma",
        _texts(
            {
                "hulpvraag": "Hoe kan ik helpen zonder me overal mee te bemoeien?",
                "mijn_verhaal": (
                    "Sanne komt elke woensdag bij mij eten. Dan praat ze wel. Ik maak me zorgen."
                ),
            }
        ),
    )
    w.write(
        w.story("wij"),
        "wij",
        lambda d: _set_text(
            d,
            "mijn_verhaal",
            "Ik ben het vaste aanspreekpunt van het gezin. Ik houd het plan bij, regel het "
            "zorgoverleg en ben de eerste die je belt.",
        ),
    )
    w.write(
        w.story("accare"),
        "accare",
        lambda d: _set_text(
            d,
            "mijn_verhaal",
            "Ik ben psycholoog bij Accare. Ik help Sanne met piekeren en slapen.",
        ),
    )
    zorg_verzuim = {"id": "zorg-verzuim"}
    zorg_slaap = {"id": "zorg-slaap"}
    factor_scheiding = {"id": "factor-scheiding"}
    factor_piekeren = {"id": "factor-piekeren"}
    factor_afspraken = {"id": "factor-afspraken"}

    def analysis(d: Doc) -> None:
        _set_text(
            d,
            "krachten",
            "Sanne tekent goed en is graag bij de paarden van de manege. Ze heeft een goede "
            "vriendin, Lisa. Mama en papa komen allebei naar elk gesprek. Oma Ria is er elke "
            "woensdag.",
        )
        zorgen = d.get("zorgen", type=Array)
        zorgen.append(
            _item(
                "analyse",
                "zorgen",
                {
                    **zorg_verzuim,
                    "tekst": "Sanne is sinds de herfstvakantie vaak niet op school: in oktober "
                    "9 van de 20 dagen.",
                    "bron": "De mentor (verzuimlijst van school)",
                },
            )
        )
        zorgen.append(
            _item(
                "analyse",
                "zorgen",
                {
                    **zorg_slaap,
                    "tekst": "Sanne slaapt slecht en zit 's nachts lang op haar telefoon.",
                    "bron": "Sanne en mama",
                },
            )
        )
        d.get("eerdere_hulp", type=Array).append(
            _item(
                "analyse",
                "eerdere_hulp",
                {
                    "wat": "Schoolmaatschappelijk werk: vijf gesprekken in de brugklas.",
                    "resultaat": "Sanne vond praten fijn, maar ze bleef vaak thuis.",
                },
            )
        )
        for group, values in (
            (
                "kind",
                {
                    **factor_piekeren,
                    "tekst": "Sanne piekert 's avonds en slaapt daardoor slecht.",
                    "soort": "risico",
                    "rol": "instandhoudend",
                    "bron": "Sanne",
                },
            ),
            (
                "kind",
                {
                    "tekst": "Sanne kan goed tekenen en wil later iets met dieren doen.",
                    "soort": "beschermend",
                    "rol": "beschermend",
                    "bron": "Sanne",
                },
            ),
            (
                "ouders",
                {
                    **factor_scheiding,
                    "tekst": "Mama en papa zijn vorig jaar gescheiden.",
                    "soort": "risico",
                    "rol": "uitlokkend",
                    "bron": "Mama en papa",
                },
            ),
            (
                "opvoeding",
                {
                    **factor_afspraken,
                    "tekst": "Bij mama en bij papa gelden andere afspraken over de telefoon.",
                    "soort": "risico",
                    "rol": "instandhoudend",
                    "bron": "Wendy (huisbezoek)",
                },
            ),
            (
                "netwerk",
                {
                    "tekst": "Oma Ria is er elke woensdag voor Sanne.",
                    "soort": "beschermend",
                    "rol": "beschermend",
                    "bron": "Oma Ria",
                },
            ),
            (
                "context",
                {
                    "tekst": "Sanne werd in de brugklas gepest.",
                    "soort": "risico",
                    "rol": "uitlokkend",
                    "bron": "Sanne en de mentor",
                },
            ),
        ):
            d.get(f"factoren.{group}", type=Array).append(_item("analyse", "factoren", values))
        d.get("hypothesen", type=Array).append(
            _item(
                "analyse",
                "hypothesen",
                {
                    "id": "samenhang-slaap",
                    "tekst": "Omdat Sanne 's avonds piekert over de scheiding, slaapt ze slecht. "
                    "Daardoor haalt ze 's ochtends school niet.",
                    "factoren": [factor_piekeren["id"], factor_scheiding["id"]],
                    "zorgen": [zorg_verzuim["id"], zorg_slaap["id"]],
                    "status": "werkhypothese",
                },
            )
        )
        _set_text(
            d,
            "verschillen",
            "Papa denkt dat Sanne vooral moet wennen aan de nieuwe situatie. Mama denkt dat het "
            "pesten nog meespeelt.",
        )

    w.write("analyse", "wij", analysis)
    w.write(
        "analyse",
        "accare",
        lambda d: d.get("hypothesen", type=Array).append(
            _item(
                "analyse",
                "hypothesen",
                {
                    "tekst": "Omdat de afspraken thuis verschillen, is er ruzie over de telefoon. "
                    "Die ruzie maakt het piekeren erger.",
                    "factoren": [factor_afspraken["id"]],
                    "zorgen": [zorg_slaap["id"]],
                    "status": "werkhypothese",
                },
            )
        ),
    )

    def recognise(key: str, answer: str, note: str) -> Callable[[Doc], None]:
        def change(d: Doc) -> None:
            d.get("herkenning", type=Map)[w.pid(key)] = Map(
                {"antwoord": answer, "toelichting": Text(note)}
            )

        return change

    w.write(
        "analyse",
        "sanne",
        recognise(
            "sanne", "deels", "Het pesten is voorbij, maar ik ben wel bang dat het terugkomt."
        ),
    )
    w.write("analyse", "moeder", recognise("moeder", "ja", ""))

    school = (today() + timedelta(days=14)).isoformat()

    def plan(d: Doc) -> None:
        goals = d.get("doelen", type=Array)
        goals.append(
            _item(
                "plan",
                "doelen",
                {
                    "id": "doel-school",
                    "doel": "Ik ga weer elke dag naar school.",
                    "domein": "school_werk",
                    "prioriteit": "hoog",
                    "evaluatiedatum": school,
                    "status": "actief",
                    "hypothesen": ["samenhang-slaap"],
                    "acties": [
                        _item(
                            "plan",
                            "doelen",
                            {
                                "wat": "Sanne en de mentor spreken elke maandag tien minuten af.",
                                "wie": w.pid("sanne"),
                                "wanneer": "Elke maandag",
                                "status": "bezig",
                            },
                            field_key="acties",
                        ),
                        _item(
                            "plan",
                            "doelen",
                            {
                                "wat": "De mentor belt mama als Sanne er om negen uur niet is.",
                                "wie": "anders",
                                "wie_naam": "Meneer De Boer (mentor)",
                                "wanneer": "Elke schooldag",
                                "status": "te_doen",
                            },
                            field_key="acties",
                        ),
                    ],
                },
            )
        )
        goals.append(
            _item(
                "plan",
                "doelen",
                {
                    "id": "doel-slapen",
                    "doel": "Ik slaap beter en voel me rustiger.",
                    "domein": "welzijn",
                    "prioriteit": "hoog",
                    "evaluatiedatum": school,
                    "status": "actief",
                    "hypothesen": ["samenhang-slaap"],
                    "acties": [
                        _item(
                            "plan",
                            "doelen",
                            {
                                "wat": "Zes gesprekken bij Accare over piekeren.",
                                "wie": w.pid("accare"),
                                "wanneer": "Elke twee weken",
                                "status": "bezig",
                            },
                            field_key="acties",
                        ),
                        _item(
                            "plan",
                            "doelen",
                            {
                                "wat": "Om tien uur 's avonds gaat de telefoon naar de keuken.",
                                "wie": w.pid("sanne"),
                                "wanneer": "Elke avond",
                                "status": "te_doen",
                            },
                            field_key="acties",
                        ),
                    ],
                },
            )
        )

    w.write("plan", "wij", plan)

    domains = {
        "steun": (
            "Sanne heeft mama, papa, oma Ria en een goede vriendin.",
            "Sanne weet bij wie ze terecht kan als het niet goed gaat.",
            "Ik wil meer vriendinnen.",
            6,
            3,
            ["zelf", "netwerk"],
        ),
        "wonen": (
            "Sanne woont bij mama en is om het weekend bij papa.",
            "Sanne heeft in beide huizen een eigen plek en dezelfde afspraken.",
            "Ik wil bij papa ook een eigen kamer.",
            7,
            4,
            ["netwerk"],
        ),
        "school_werk": (
            "Sanne mist veel lessen: in oktober 9 van de 20 dagen.",
            "Sanne is er minstens 9 van de 10 dagen en gaat over naar de volgende klas.",
            "Ik wil op de havo blijven.",
            4,
            2,
            ["zelf", "hulp"],
        ),
        "inkomen": (
            "Sanne krijgt zakgeld van mama.",
            "Sanne kan met haar geld rondkomen.",
            "Ik wil zelf geld verdienen bij de manege.",
            6,
            4,
            ["zelf"],
        ),
        "welzijn": (
            "Sanne slaapt slecht en piekert veel.",
            "Sanne slaapt de meeste nachten goed en weet wat ze kan doen als ze piekert.",
            "Ik wil me rustiger voelen.",
            5,
            2,
            ["zelf", "hulp"],
        ),
    }

    def perspective_by_wij(d: Doc) -> None:
        for domain, (now, norm, _wish, _scale, selfreliance, contributors) in domains.items():
            _set_text(d, f"domein.{domain}.huidige_situatie", now)
            _set_text(d, f"domein.{domain}.norm", norm)
            values = d.get(f"domein.{domain}", type=Map)
            values["zelfredzaamheid"] = float(selfreliance)
            for contributor in contributors:
                values[f"bijdrage.{contributor}"] = True

    def perspective_by_sanne(d: Doc) -> None:
        for domain, (_now, _norm, wish, scale, _selfreliance, _contributors) in domains.items():
            _set_text(d, f"domein.{domain}.wens_jongere", wish)
            d.get(f"domein.{domain}", type=Map)["schaal_jongere"] = float(scale)

    w.write("perspectief", "wij", perspective_by_wij)
    w.write("perspectief", "sanne", perspective_by_sanne)
    w.write(
        "veiligheid",
        "wij",
        lambda d: d.get("afspraken", type=Array).append(
            _item(
                "veiligheid",
                "afspraken",
                {
                    "afspraak": "Als de ruzie thuis te hoog oploopt, mag Sanne naar oma Ria gaan.",
                    "wie": w.pid("oma"),
                    "schaal": 8,
                },
            )
        ),
    )
    w.session_ended()


def _after_first_meeting(w: _Documents) -> None:
    """Between the two meetings: a third goal, progress on actions, new scores."""

    def third_goal(d: Doc) -> None:
        d.get("doelen", type=Array).append(
            _item(
                "plan",
                "doelen",
                {
                    "id": "doel-afspraken",
                    "doel": "Mama en papa maken dezelfde afspraken over de telefoon en bedtijd.",
                    "domein": "steun",
                    "prioriteit": "middel",
                    "status": "actief",
                    "acties": [
                        _item(
                            "plan",
                            "doelen",
                            {
                                "wat": "Mama en papa schrijven samen de afspraken op.",
                                "wie": w.pid("moeder"),
                                "wanneer": "Voor het volgende overleg",
                                "status": "bezig",
                            },
                            field_key="acties",
                        )
                    ],
                },
            )
        )

    w.write("plan", "wij", third_goal)
    w.write(
        "perspectief",
        "sanne",
        lambda d: d.get("domein.school_werk", type=Map).__setitem__("schaal_jongere", 5.0),
    )
    w.session_ended()


def _since_the_last_visit(w: _Documents) -> None:
    """After Sanne and her mother last looked: what they find new."""

    def first_action_done(d: Doc) -> None:
        goal = next(g for g in d.get("doelen", type=Array) if g.get("id") == "doel-slapen")
        action = goal["acties"][1]
        action["status"] = "klaar"

    w.write("plan", "wij", first_action_done)
    w.write(
        "plan",
        "sanne",
        lambda d: d.get("doelen", type=Array).append(
            _item(
                "plan",
                "doelen",
                {
                    "id": "doel-bijbaantje",
                    "doel": "Ik zoek een bijbaantje bij de manege.",
                    "domein": "inkomen",
                    "prioriteit": "laag",
                    "status": "wacht",
                },
            )
        ),
    )
    w.write(
        "perspectief",
        "accare",
        lambda d: _set_text(
            d,
            "domein.welzijn.huidige_situatie",
            "Sanne slaapt vaker door. Ze piekert nog, maar weet wat ze dan kan doen.",
        ),
    )

    def note(d: Doc) -> None:
        concern = next(z for z in d.get("zorgen", type=Array) if z.get("id") == "zorg-slaap")
        text = concern["tekst"]
        text += " Sinds de telefoon in de keuken ligt, gaat het beter."

    w.write("analyse", "moeder", note)
    w.session_ended()

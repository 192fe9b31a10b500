"""Hostile text in every string a person can type never becomes markup, style or script.

One case is filled with a hostile value in every user-controlled string: names, the case
label, organisations, share labels, reasons and motivations, version titles, decisions,
approval remarks, and the text inside every CRDT document. Then every page (the worklist
too), the print view, the PDF and the share pages are rendered and read as a browser (and
WeasyPrint) would, and the mails are read for header breaks and plan content.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session, select

from app.models import CheckpointReason, OutboxMessage, today
from app.services import checkpoints, consent, evaluations, participants, shares, versions
from app.services.access_bus import AccessBus
from app.settings import Settings
from tests.conftest import Family, sign_in
from tests.docs_helpers import document_id, edit

HOSTILE = [
    "</style><link rel=attachment href=file:///etc/passwd>",
    "</style><img src=http://127.0.0.1:9/x>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "{{7*7}}",
    "'; alert(1); '",
    "</script>",
    "€ Ş 李 🙂",
]
# Made per test: an address on this machine that records every connection made to it.
LISTENER_PAYLOAD = "</style><img src=http://127.0.0.1:{port}/ssrf>"

# Markup the app itself never puts in a page; finding one means a value became markup.
FORBIDDEN_TAGS = {"svg", "img", "iframe", "object", "embed", "base", "style", "frame", "math"}
# ... except the charts of the progress page, drawn by the app from numbers only.
APP_SVG = {"class": "progress-chart"}


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Escaping does not depend on the database: SQLite only, to keep this test quick."""
    target = tmp_path / "eenplan.db"
    shutil.copy(request.getfixturevalue("sqlite_template"), target)
    return f"sqlite:///{target}"


@dataclass
class Listener:
    """A local TCP port that must not be contacted: the server-side fetch (SSRF) canary."""

    port: int
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    found = Listener(port=server.getsockname()[1])
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            found.hits.append(f"{peer[0]}:{peer[1]}")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield found
    stop.set()
    thread.join(timeout=2)
    server.close()


# --- reading a page like a browser -----------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script, self._script_text = dict(attrs), []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._script_text)))
            self._script = None

    def handle_data(self, data: str) -> None:
        (self._script_text if self._script is not None else self.text).append(data)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def shown_and_safe(html: str, where: str) -> str:
    """Everything a reader sees or a script reads (text, attribute values, JSON data), after
    asserting that the page holds no markup, style or script that the app did not put there."""
    page = _Page()
    page.feed(html)
    page.close()
    seen = list(page.text)
    for tag, attrs in page.tags:
        app_chart = tag == "svg" and attrs.get("class") == APP_SVG["class"]
        assert tag not in FORBIDDEN_TAGS or app_chart, f"{where}: <{tag} {attrs}>"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{where}: inline handler <{tag} {name}={value!r}>"
            assert name != "style", f"{where}: inline style <{tag} style={value!r}>"
            seen.append(value or "")
        if tag == "link":
            assert attrs.get("rel") in ("stylesheet", "icon"), f"{where}: <link {attrs}>"
            assert (attrs.get("href") or "").startswith("/static/"), f"{where}: <link {attrs}>"
    for attrs, body in page.scripts:
        if attrs.get("type") == "application/json":
            assert "</" not in body and "<!--" not in body, f"{where}: JSON block {body[:80]!r}"
            seen.extend(_strings(json.loads(body)))
        else:
            assert (attrs.get("src") or "").startswith("/static/"), f"{where}: <script {attrs}>"
            assert not body.strip(), f"{where}: inline script {body[:80]!r}"
    return "\n".join(seen)


def pdf_facts(pdf: bytes, tmp_path: Path) -> tuple[str, str]:
    """(the text of the PDF, pdfdetach's list of embedded files)."""
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    attached = subprocess.run(
        ["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return text, attached


def squeeze(text: str) -> str:
    """Text without white space: line breaks on paper fall wherever the width ends."""
    return "".join(text.split())


# --- a case full of hostile values -----------------------------------------------------------


@dataclass
class HostileCase:
    family: Family
    value: str
    school_url: str
    netwerk_url: str
    docs: dict[str, str]
    school_share_id: str


def _fill_documents(db: Session, family: Family, value: str) -> dict[str, str]:
    case_id = family.case.id
    youth = family.places["jongere"].id

    def plan(doc: Doc) -> None:
        doc.get("doelen", type=Array).append(
            Map(
                {
                    "id": "g1",
                    "doel": Text(f"Doel {value}"),
                    "domein": "school_werk",
                    "status": "actief",
                    "evaluatiedatum": (today() + timedelta(days=30)).isoformat(),
                    "acties": Array(
                        [
                            Map(
                                {
                                    "id": "a1",
                                    "wat": Text(f"Actie {value}"),
                                    "wie": str(youth),
                                    "wanneer": Text(f"Wanneer {value}"),
                                    "status": "te_doen",
                                }
                            ),
                            Map(
                                {
                                    "id": "a2",
                                    "wat": Text(f"Mentoractie {value}"),
                                    "wie": "anders",
                                    "wie_naam": Text(f"Mentor {value}"),
                                    "wanneer": Text("elke week"),
                                }
                            ),
                        ]
                    ),
                }
            )
        )

    def analysis(doc: Doc) -> None:
        doc.get("krachten", type=Text).insert(0, f"Krachten {value}")
        doc.get("verschillen", type=Text).insert(0, f"Verschillen {value}")
        doc.get("zorgen", type=Array).append(
            Map({"id": "z1", "tekst": Text(f"Zorg {value}"), "bron": Text(f"Bron {value}")})
        )
        doc.get("hypothesen", type=Array).append(
            Map({"id": "h1", "tekst": Text(f"Samenhang {value}"), "status": "werkhypothese"})
        )
        doc.get("herkenning", type=Map)[str(youth)] = Map(
            {"antwoord": "deels", "toelichting": Text(f"Toelichting {value}")}
        )

    def perspective(doc: Doc) -> None:
        for key in ("huidige_situatie", "norm", "wens_jongere"):
            doc.get(f"domein.school_werk.{key}", type=Text).insert(0, f"{key} {value}")
        doc.get("domein.school_werk", type=Map)["schaal_jongere"] = 6

    def safety(doc: Doc) -> None:
        doc.get("zorgen", type=Array).append(Map({"id": "v1", "tekst": Text(f"Veilig {value}")}))

    def story(doc: Doc) -> None:
        for key in ("hulpvraag", "mijn_verhaal", "bereiken"):
            doc.get(key, type=Text).insert(0, f"{key} {value}")

    docs = {
        "plan": document_id(db, case_id, "plan"),
        "analyse": document_id(db, case_id, "analyse"),
        "perspectief": document_id(db, case_id, "perspectief"),
        "veiligheid": document_id(db, case_id, "veiligheid"),
        "verhaal": document_id(db, case_id, "verhaal", youth),
    }
    author = family.user("aanspreekpunt").id
    edit(db, docs["plan"], plan, author)
    edit(db, docs["analyse"], analysis, author)
    edit(db, docs["perspectief"], perspective, author)
    edit(db, docs["veiligheid"], safety, author)
    edit(db, docs["verhaal"], story, family.user("jongere").id)
    return docs


def make_hostile_case(
    client: TestClient, db: Session, family: Family, settings: Settings, value: str
) -> HostileCase:
    """Put ``value`` in every string a person can type in this case."""
    for key, user in family.people.items():
        user.name = f"{key.capitalize()} {value}"
        db.add(user)
    family.case.label = f"Gezin {value}"
    db.add(family.case)
    for key, organisation in (("specialist", "Accare"), ("aanspreekpunt", "WIJ")):
        family.places[key].organisation = f"{organisation} {value}"
        db.add(family.places[key])
    family.places["vader"].gezag = True  # so the aanspreekpunt can pass him over, with a reason
    db.add(family.places["vader"])
    db.commit()
    assert all(len(u.name) <= 120 for u in family.people.values())
    assert len(family.case.label) <= 120

    docs = _fill_documents(db, family, value)
    case_id = family.case.id
    wij = family.user("aanspreekpunt")
    participants.invite(
        db,
        actor=wij,
        case_id=case_id,
        email="nieuwe.specialist@voorbeeld.nl",
        role="specialist",
        gezag=False,
        organisation=f"Elker {value}",
        settings=settings,
    )
    for audience in ("school", "netwerk"):
        for who in ("jongere", "moeder"):
            consent.decide(
                db,
                user=family.user(who),
                case_id=case_id,
                audience=audience,
                decision="given",
                bus=AccessBus(),
            )
        consent.pass_over_parent(
            db,
            actor=wij,
            case_id=case_id,
            audience=audience,
            parent_participant_id=family.places["vader"].id or 0,
            reason=f"Reden om over te slaan: {value}",
            bus=AccessBus(),
        )
    school = shares.create_share(
        db,
        actor=wij,
        case_id=case_id,
        audience="school",
        label=f"Mentor {value}",
        expires_in_days=30,
        bus=AccessBus(),
    )
    netwerk = shares.create_share(
        db,
        actor=wij,
        case_id=case_id,
        audience="netwerk",
        label=f"Oma {value}",
        expires_in_days=30,
        scope=["plan", "perspectief", "analyse"],
        bus=AccessBus(),
    )
    shares.create_share(
        db,
        actor=wij,
        case_id=case_id,
        audience="netwerk",
        label=f"Veilig Thuis {value}",
        expires_in_days=30,
        ground=consent.Ground.meldrecht,
        motivation=f"Motivatie zonder toestemming: {value}",
        bus=AccessBus(),
    )
    sign_in(client, wij)
    adopted = client.post(
        f"/api/cases/{case_id}/versions",
        json={
            "title": f"Zorgoverleg {value}",
            "decisions": f"Besluit {value}",
            "meeting_date": today().isoformat(),
            "next_evaluation_date": (today() + timedelta(days=60)).isoformat(),
        },
    )
    assert adopted.status_code == 201, adopted.text
    versions.record_approval(
        db,
        actor=family.user("moeder"),
        case_id=case_id,
        number=1,
        decision="akkoord_met_opmerking",
        remark=f"Opmerking {value}",
    )
    # an evaluation round after the version: the case page asks, the form names each goal
    evaluations.open_round(db, actor=wij, case_id=case_id, settings=settings)
    evaluations.record_answers(
        db,
        actor=family.user("jongere"),
        case_id=case_id,
        form={"doel.g1": "6", "domein.wonen": "4"},
    )
    return HostileCase(
        family=family,
        value=value,
        school_url=f"/gedeeld/{school.token}",
        netwerk_url=f"/gedeeld/{netwerk.token}",
        docs=docs,
        school_share_id=school.share.id,
    )


# --- the test --------------------------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfdetach") is None,
    reason="needs poppler-utils (make test installs it)",
)
@pytest.mark.parametrize("template", [*HOSTILE, LISTENER_PAYLOAD])
def test_hostile_values_stay_text_on_every_page_print_pdf_and_share(
    client: TestClient,
    db: Session,
    family: Family,
    settings: Settings,
    listener: Listener,
    tmp_path: Path,
    template: str,
) -> None:
    value = template.format(port=listener.port) if template == LISTENER_PAYLOAD else template
    hostile = make_hostile_case(client, db, family, settings, value)
    case_id = family.case.id
    pages = {
        "aanspreekpunt": [
            "/",
            f"/?q={quote(value[:100])}&toon=te_doen&sorteer=naam",
            "/account/meldingen",
            f"/cases/{case_id}",
            f"/cases/{case_id}/deelnemers",
            f"/cases/{case_id}/toestemming",
            f"/cases/{case_id}/delen",
            f"/cases/{case_id}/logboek",
            f"/cases/{case_id}/versies",
            f"/cases/{case_id}/versies/1",
            f"/cases/{case_id}/versies/vergelijk?van=1&naar=nu",
            f"/cases/{case_id}/print",
            f"/cases/{case_id}/versies/1/print",
            f"/cases/{case_id}/voortgang",
            f"/cases/{case_id}/evaluatie",
            *(f"/cases/{case_id}/docs/{doc_id}" for doc_id in hostile.docs.values()),
        ],
        "jongere": [
            "/",
            f"/cases/{case_id}",
            f"/cases/{case_id}/toestemming",
            f"/cases/{case_id}/versies/1",
            f"/cases/{case_id}/voortgang",
            f"/cases/{case_id}/evaluatie",
        ],
        "moeder": [f"/cases/{case_id}", f"/cases/{case_id}/logboek"],
    }
    # automatic versions, the story's readers page and the page after a restore
    checkpoint = checkpoints.save_if_changed(
        db, document_id=hostile.docs["plan"], reason=CheckpointReason.session_end
    )
    assert checkpoint is not None
    pages["aanspreekpunt"] += [
        checkpoints.path_of(checkpoint),
        f"/cases/{case_id}/versies/1?hersteld=1&bewaard={checkpoint.id}",
        f"/cases/{case_id}/docs/{hostile.docs['verhaal']}",
    ]
    pages["jongere"] += [
        f"/cases/{case_id}/docs/{hostile.docs['verhaal']}/lezers",
        f"/cases/{case_id}/docs/{hostile.docs['verhaal']}",
        f"/cases/{case_id}",
    ]
    for person, paths in pages.items():
        sign_in(client, family.user(person))
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, f"{person} {path}: {response.status_code}"
            assert value in shown_and_safe(response.text, f"{person} {path}"), f"{person} {path}"

    # the confirmation pages name what is about to go
    sign_in(client, family.user("aanspreekpunt"))
    share_id = hostile.school_share_id
    for path in (
        f"/cases/{case_id}/delen/{share_id}/intrekken",
        f"/cases/{case_id}/deelnemers/{family.places['oma'].id}/verwijderen",
    ):
        asked = client.post(path)
        assert asked.status_code == 200, path
        assert value in shown_and_safe(asked.text, f"confirm {path}"), path

    # The paper version shows every typed string, each in its own place, as text.
    sign_in(client, family.user("aanspreekpunt"))
    printed = shown_and_safe(client.get(f"/cases/{case_id}/versies/1/print").text, "print")
    for prefix in (
        "Gezin",
        "Jongere",
        "Moeder",
        "Accare",
        "Doel",
        "Actie",
        "Wanneer",
        "Mentor",
        "Krachten",
        "Verschillen",
        "Zorg",
        "Bron",
        "Samenhang",
        "Toelichting",
        "huidige_situatie",
        "Veilig",
        "hulpvraag",
        "bereiken",
        "Zorgoverleg",
        "Besluit",
        "Opmerking",
    ):
        assert f"{prefix} {value}" in printed, prefix

    # The progress page and its JSON: the goal, the norm and every name, as text.
    for person in ("aanspreekpunt", "jongere"):
        sign_in(client, family.user(person))
        shown = shown_and_safe(client.get(f"/cases/{case_id}/voortgang").text, "voortgang")
        for prefix in ("Doel", "norm", "Jongere", "Moeder"):
            assert f"{prefix} {value}" in shown, (person, prefix)
        asked = shown_and_safe(client.get(f"/cases/{case_id}").text, "case page")
        assert f"Doel {value}" in asked, person
        api = client.get(f"/api/cases/{case_id}/progress").json()
        assert api["goals"][0]["title"] == f"Doel {value}"
        assert any(d["norm"] == f"norm {value}" for d in api["domains"])

    # The worklist in JSON carries the values as plain strings.
    sign_in(client, family.user("aanspreekpunt"))
    listed = client.get("/api/worklist").json()
    assert any(item["label"] == f"Gezin {value}" for item in listed)

    # Mails are plain text with one-line headers, and never hold content of the plan.
    for mail in db.exec(select(OutboxMessage)).all():
        assert "\n" not in mail.subject and "\r" not in mail.subject, mail.subject
        for typed in (f"Zorgoverleg {value}", f"Besluit {value}", f"Krachten {value}"):
            assert typed not in mail.body and typed not in mail.subject, (mail.kind, typed)

    # Forms that show what was typed back after a mistake.
    forgot = client.post("/wachtwoord-vergeten", data={"email": f"{value}@"})
    assert forgot.status_code == 422
    assert f"{value}@" in shown_and_safe(forgot.text, "forgot password form again")
    sign_in(client, family.user("aanspreekpunt"))
    again = client.post(
        f"/cases/{case_id}/delen",
        data={
            "audience": "netwerk",
            "label": f"Oom {value}",
            "expires_in_days": "0",
            "ground": "meldrecht",
            "motivation": f"Uitleg {value}",
            "scope_form": "1",
        },
    )
    assert again.status_code == 422
    assert f"Uitleg {value}" in shown_and_safe(again.text, "shares form again")
    rejected = client.post(
        f"/cases/{case_id}/versies/1/akkoord", data={"decision": "", "remark": f"Tekst {value}"}
    )
    assert rejected.status_code == 422
    assert f"Tekst {value}" in shown_and_safe(rejected.text, "approval form again")
    refused_score = client.post(f"/cases/{case_id}/evaluatie", data={"doel.g1": value})
    assert refused_score.status_code == 422
    assert value in shown_and_safe(refused_score.text, "evaluation form again")

    # The shared pages, opened by someone without an account.
    client.cookies.clear()
    for url in (hostile.school_url, hostile.netwerk_url):
        shared = client.get(url)
        assert shared.status_code == 200, url
        assert value in shown_and_safe(shared.text, url)

    # The PDF: the value as text, nothing attached, nothing fetched, and a download name that
    # works for every name.
    sign_in(client, family.user("aanspreekpunt"))
    for path in (f"/cases/{case_id}/print.pdf", f"/cases/{case_id}/versies/1/print.pdf"):
        pdf = client.get(path)
        assert pdf.status_code == 200, path
        assert pdf.headers["content-type"] == "application/pdf"
        text, attached = pdf_facts(pdf.content, tmp_path)
        assert squeeze(f"Gezin {value}") in squeeze(text), path
        assert "0 embedded files" in attached, attached
        assert "root:x:0:0" not in text
    assert listener.hits == [], f"the server fetched {listener.hits}"

"""Progress across evaluations: the page, the API and the paper show the Big Five scores and
the goals at every adopted version and now; missing stays missing; only for readers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import AuditEntry
from tests.conftest import Family, sign_in
from tests.docs_helpers import pdf_text
from tests.progress_helpers import (
    add_goal,
    adopt,
    change_goal,
    remove_goal,
    set_all_domains,
    set_domain,
)

DOMAINS = ["steun", "wonen", "school_werk", "inkomen", "welzijn"]


def _progress(client: TestClient, family: Family) -> dict[str, Any]:
    response = client.get(f"/api/cases/{family.case.id}/progress")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _domain(body: dict[str, Any], domain: str) -> dict[str, Any]:
    return next(d for d in body["domains"] if d["domain"] == domain)


def _squeeze(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_three_adopted_versions_show_their_scores_on_the_page_in_the_api_and_in_the_pdf(
    client: TestClient, family: Family, db: Session, tmp_path: Path
) -> None:
    set_domain(db, family, "wonen", schaal=3, zelf=2, norm="Een eigen kamer", gehaald="nee")
    sign_in(client, family.user("aanspreekpunt"))
    adopt(client, family, "Zorgoverleg maart", "2026-03-12")
    set_domain(db, family, "wonen", schaal=6, zelf=3)
    adopt(client, family, "Zorgoverleg juni", "2026-06-18")
    set_domain(db, family, "wonen", schaal=8, zelf=4, gehaald="ja")
    adopt(client, family, "Zorgoverleg september", "2026-09-24")
    set_domain(db, family, "wonen", schaal=9)

    body = _progress(client, family)
    assert [d["domain"] for d in body["domains"]] == DOMAINS
    wonen = _domain(body, "wonen")
    assert [
        (p["version"], p["date"], p["schaal_jongere"], p["zelfredzaamheid"])
        for p in wonen["points"]
    ] == [
        (1, "2026-03-12", 3, 2),
        (2, "2026-06-18", 6, 3),
        (3, "2026-09-24", 8, 4),
        (None, wonen["points"][3]["date"], 9, 4),
    ]
    assert wonen["norm_met"] is True
    assert [p["norm_met"] for p in wonen["points"]] == [False, False, True, True]
    assert wonen["norm"] == "Een eigen kamer"

    page = client.get(f"/cases/{family.case.id}/voortgang")
    assert page.status_code == 200
    table = page.text.split('id="dom-wonen"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in rows]
    assert [c[:2] for c in cells if c] == [["3", "2"], ["6", "3"], ["8", "4"], ["9", "4"]]
    assert "Versie 1" in table and "12 maart 2026" in table and "Nu" in table
    assert "Een eigen kamer" in page.text
    assert page.text.count('class="progress-chart"') == 10  # two charts per domain
    assert "Cijfer van de jongere (0 tot 10) bij Wonen. Versie 1: 3; Versie 2: 6" in page.text

    text = _squeeze(pdf_text(client, f"/cases/{family.case.id}/print.pdf", tmp_path, layout=True))
    assert "Voortgang: van zorgoverleg tot zorgoverleg" in text
    assert "Wonen: de cijfers per evaluatie" in text
    wonen_text = text.split("Wonen: de cijfers per evaluatie")[1]
    assert re.search(r"Versie 1 3 2 ✗ Nog niet stabiel .{0,20}12 maart 2026", wonen_text)
    assert re.search(r"Versie 3 8 4 ✓ Ja, stabiel genoeg 24 september", wonen_text)
    assert re.search(r"Nu 9 4 ✓ Ja, stabiel genoeg", wonen_text)
    assert "Klaar om los te laten?" in text

    # the print of version 2 stops at version 2: nothing later, no "now"
    second = _squeeze(
        pdf_text(client, f"/cases/{family.case.id}/versies/2/print.pdf", tmp_path, layout=True)
    )
    second_wonen = second.split("Wonen: de cijfers per evaluatie")[1]
    assert re.search(r"Versie 2 6 3 ✗ Nog niet stabiel .{0,20}18 juni 2026", second_wonen)
    assert "Versie 3" not in second_wonen and "Nu 9" not in second_wonen


def test_a_version_adopted_without_scores_shows_them_as_missing_not_as_zero(
    client: TestClient, family: Family, db: Session
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    adopt(client, family, "Zorgoverleg zonder cijfers")
    set_domain(db, family, "steun", schaal=0, zelf=1)

    body = _progress(client, family)
    steun = _domain(body, "steun")
    assert [(p["schaal_jongere"], p["zelfredzaamheid"]) for p in steun["points"]] == [
        (None, None),
        (0, 1),  # a real 0 stays a 0
    ]
    assert {"version": 1, "domain": "steun", "field": "schaal_jongere", "reason": "leeg"} in body[
        "missing"
    ]
    assert {
        "version": None,
        "domain": "steun",
        "field": "schaal_jongere",
        "reason": "leeg",
    } not in (body["missing"])
    page = client.get(f"/cases/{family.case.id}/voortgang").text
    table = page.split('id="dom-steun"')[1].split("</table>")[0]
    assert re.search(r"Versie 1.*?<td[^>]*>ontbreekt</td>\s*<td[^>]*>ontbreekt</td>", table, re.S)
    gaps = page.split("Wat ontbreekt er nog?")[1].split("</details>")[0]
    version_1, now = gaps.split("<strong>Nu</strong>")
    assert "Geen cijfer van de jongere: alle vijf levensgebieden." in version_1
    assert "Geen cijfer van de jongere: Wonen, School en werk," in now


def test_scores_outside_their_range_are_shown_as_invalid_and_never_drawn(
    client: TestClient, family: Family, db: Session
) -> None:
    set_domain(db, family, "inkomen", schaal=14, zelf=2.5)
    set_domain(db, family, "welzijn", schaal=-1, zelf=True)
    set_domain(db, family, "wonen", schaal="7", zelf=4.0)
    sign_in(client, family.user("specialist"))

    body = _progress(client, family)
    now = {d["domain"]: d["points"][-1] for d in body["domains"]}
    assert (now["inkomen"]["schaal_jongere"], now["inkomen"]["zelfredzaamheid"]) == (None, None)
    assert (now["welzijn"]["schaal_jongere"], now["welzijn"]["zelfredzaamheid"]) == (None, None)
    assert (now["wonen"]["schaal_jongere"], now["wonen"]["zelfredzaamheid"]) == (None, 4)
    invalid = {(m["domain"], m["field"]) for m in body["missing"] if m["reason"] == "ongeldig"}
    assert invalid == {
        ("inkomen", "schaal_jongere"),
        ("inkomen", "zelfredzaamheid"),
        ("welzijn", "schaal_jongere"),
        ("welzijn", "zelfredzaamheid"),
        ("wonen", "schaal_jongere"),
    }
    page = client.get(f"/cases/{family.case.id}/voortgang").text
    inkomen = page.split('id="dom-inkomen"')[1].split('id="dom-welzijn"')[0]
    assert ">ongeldig</td>" in inkomen
    assert ">14<" not in inkomen and ">10<" not in inkomen.split("<svg")[0]
    assert "Cijfer van de jongere kan niet (moet 0 tot en met 10 zijn): Wonen, Inkomen" in page
    # nothing is drawn for it: the chart has a "!" and no point
    chart = inkomen.split('id="grafiek-inkomen-schaal_jongere-titel"')[1].split("</svg>")[0]
    assert "<circle" not in chart and ">!</text>" in chart


def test_a_norm_met_counts_only_when_the_norm_is_written_down(
    client: TestClient, family: Family, db: Session
) -> None:
    set_domain(db, family, "school_werk", gehaald="ja")  # "ja", but no norm text
    set_domain(db, family, "wonen", norm="Vaste slaapplek", gehaald="ja")
    sign_in(client, family.user("aanspreekpunt"))
    body = _progress(client, family)
    assert _domain(body, "school_werk")["norm_met"] is None
    assert _domain(body, "wonen")["norm_met"] is True
    assert _domain(body, "steun")["norm_met"] is None  # not judged
    assert {"version": None, "domain": "school_werk", "field": "norm", "reason": "leeg"} in body[
        "missing"
    ]
    page = client.get(f"/cases/{family.case.id}/voortgang").text
    school = page.split('id="dom-school_werk"')[1].split('id="dom-inkomen"')[0]
    assert "Telt nog niet: er staat niet beschreven wat stabiel genoeg is" in school


def test_ready_to_let_go_needs_all_five_norms_met_at_the_last_two_versions(
    client: TestClient, family: Family, db: Session
) -> None:
    set_all_domains(db, family, norm="Het gaat zonder extra hulp", gehaald="ja")
    sign_in(client, family.user("aanspreekpunt"))
    adopt(client, family, "Eerste")
    one = _progress(client, family)
    assert one["ready_to_let_go"] is False  # one evaluation is not two
    page = client.get(f"/cases/{family.case.id}/voortgang").text
    assert "Klaar om los te laten?" in page and "Er is pas één versie vastgesteld" in page

    adopt(client, family, "Tweede")
    two = _progress(client, family)
    assert two["ready_to_let_go"] is True
    assert two["not_ready_domains"] == []
    page = client.get(f"/cases/{family.case.id}/voortgang").text
    assert "Ja, bespreek het." in page and "geen besluit" in page

    set_domain(db, family, "inkomen", gehaald="nee")
    adopt(client, family, "Derde")
    three = _progress(client, family)
    assert three["ready_to_let_go"] is False
    assert three["not_ready_domains"] == ["inkomen"]
    page = client.get(f"/cases/{family.case.id}/voortgang").text
    readiness = page.split('id="kop-loslaten"')[1].split("</section>")[0]
    assert "Inkomen (geld)" in readiness and "Versie 3: nog niet stabiel genoeg." in readiness
    assert "Wonen" not in readiness
    case_page = client.get(f"/cases/{family.case.id}").text
    assert "Nog niet stabiel genoeg: Inkomen (geld)." in case_page


def test_the_signal_is_for_professionals_on_the_page_and_for_everyone_on_paper(
    client: TestClient, family: Family, db: Session
) -> None:
    set_all_domains(db, family, norm="Stabiel", gehaald="ja")
    sign_in(client, family.user("aanspreekpunt"))
    adopt(client, family, "Eerste")
    adopt(client, family, "Tweede")
    sign_in(client, family.user("specialist"))
    assert _progress(client, family)["ready_to_let_go"] is True
    case_page = client.get(f"/cases/{family.case.id}").text
    assert "Klaar om los te laten?" in case_page and "Ja, bespreek het" in case_page
    sign_in(client, family.user("jongere"))
    assert _progress(client, family)["ready_to_let_go"] is None
    assert "Klaar om los te laten?" not in client.get(f"/cases/{family.case.id}/voortgang").text
    assert "Klaar om los te laten?" not in client.get(f"/cases/{family.case.id}").text
    assert "Klaar om los te laten?" in client.get(f"/cases/{family.case.id}/print").text


def test_goals_keep_their_id_and_their_status_history_across_versions(
    client: TestClient, family: Family, db: Session
) -> None:
    add_goal(db, family, "g1", "Elke dag naar school", status="wacht")
    sign_in(client, family.user("aanspreekpunt"))
    adopt(client, family, "Eerste")
    change_goal(db, family, "g1", status="actief", text="Vier dagen per week naar school")
    add_goal(db, family, "g2", "Een bijbaan zoeken")
    adopt(client, family, "Tweede")
    change_goal(db, family, "g1", status="gehaald")
    remove_goal(db, family, "g2")
    adopt(client, family, "Derde")
    add_goal(db, family, "g3", "Zelf koken", status="gestopt")

    goals = {g["id"]: g for g in _progress(client, family)["goals"]}
    assert goals["g1"]["title"] == "Vier dagen per week naar school"  # the newest words
    assert goals["g1"]["statuses"] == [
        {"version": 1, "status": "nieuw"},
        {"version": 2, "status": "loopt"},
        {"version": 3, "status": "behaald"},
        {"version": None, "status": "behaald"},
    ]
    assert goals["g2"]["statuses"] == [{"version": 2, "status": "loopt"}]
    assert goals["g3"]["statuses"] == [{"version": None, "status": "gestopt"}]
    page = client.get(f"/cases/{family.case.id}/voortgang").text
    assert "Versie 1: nieuw → Versie 2: loopt → Versie 3: behaald → Nu: behaald" in page
    assert "Een bijbaan zoeken" in page and "Staat niet meer in het plan." in page
    order = [page.index(t) for t in ("Vier dagen", "Zelf koken", "Een bijbaan zoeken")]
    assert order == sorted(order)  # goals still in the plan first


def test_strangers_get_nothing_and_readers_without_consent_see_no_content(
    client: TestClient, family: Family, db: Session
) -> None:
    set_domain(db, family, "wonen", schaal=5, norm="Eigen kamer")
    add_goal(db, family, "g1", "Geheim doel")
    sign_in(client, family.user("vreemde"))
    assert client.get(f"/cases/{family.case.id}/voortgang").status_code == 404
    assert client.get(f"/api/cases/{family.case.id}/progress").status_code == 404
    assert client.get("/cases/bestaat-niet/voortgang").status_code == 404
    sign_in(client, family.user("oma"))  # netwerk, no consent yet
    body = _progress(client, family)
    assert body["domains"] == [] and body["goals"] == [] and body["missing"] == []
    page = client.get(f"/cases/{family.case.id}/voortgang")
    assert page.status_code == 200
    assert "Geheim doel" not in page.text and "Eigen kamer" not in page.text
    assert "toestemming" in page.text
    client.cookies.clear()
    assert client.get(f"/api/cases/{family.case.id}/progress").status_code == 401
    signed_out = client.get(f"/cases/{family.case.id}/voortgang")
    assert signed_out.status_code == 303 and "/login" in signed_out.headers["location"]


def test_the_case_page_links_to_the_progress_and_viewing_it_is_logged(
    client: TestClient, family: Family, db: Session
) -> None:
    sign_in(client, family.user("moeder"))
    page = client.get(f"/cases/{family.case.id}").text
    assert f'href="/cases/{family.case.id}/voortgang"' in page
    client.get(f"/cases/{family.case.id}/voortgang")
    entries = db.exec(select(AuditEntry).where(AuditEntry.case_id == family.case.id)).all()
    assert [(e.actor_name, e.subject) for e in entries if e.action == "case_viewed"][-1] == (
        "Moeder",
        "voortgang",
    )


def test_the_long_progress_page_starts_with_links_to_each_domain_and_the_goals(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("jongere"))
    page = client.get(f"/cases/{family.case.id}/voortgang").text
    jump = page.split('id="kop-naar"')[1].split("</nav>")[0]
    for domain in ("steun", "wonen", "school_werk", "inkomen", "welzijn"):
        assert f'href="#dom-{domain}"' in jump and f'id="dom-{domain}"' in page
    assert 'href="#kop-doelen"' in jump and 'id="kop-doelen"' in page

"""'Nieuw sinds je laatste bezoek' in the editor: the fields others changed are marked, with who.

The server puts the changes in the page's editor config (``changes``); here the test fills that
config itself, on the way from the server to the browser, so only the editor is tested.
"""

from __future__ import annotations

import pytest

from tests.browser.editor_helpers import SHOTS, announcements, open_doc, wait_saved, with_changes

pytestmark = pytest.mark.browser


def goal_with_domain(live_server, open_as) -> str:  # type: ignore[no-untyped-def]
    """Wendy writes a goal in the plan; its item id."""
    wendy = open_as("aanspreekpunt")
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "plan"))
    wendy.get_by_role("button", name="Doel toevoegen").click()
    wendy.keyboard.type("Sanne zoekt een bijbaantje")
    wendy.locator(".item").first.get_by_label(
        "Bij welk deel van je leven hoort het?"
    ).select_option("inkomen")
    wait_saved(wendy)
    return str(wendy.locator(".item").first.get_attribute("data-id"))


def test_the_youth_sees_what_changed_since_her_last_visit_and_who_did_it(
    live_server, open_as
) -> None:  # type: ignore[no-untyped-def]
    goal = goal_with_domain(live_server, open_as)
    sanne = open_as("jongere", width=390, height=844)
    changes = [
        {
            "path": f"doelen/{goal}/doel",
            "label": "Doel 1 · Wat wil je bereiken?",
            "by": ["Wendy WIJ"],
        },
        {
            "path": f"doelen/{goal}/domein",
            "label": "Doel 1 · Bij welk deel van je leven hoort het?",
            "by": ["Wendy WIJ", "Marieke"],
        },
        {"path": "doelen/weg/doel", "label": "Een doel dat er niet meer is", "by": ["Wendy WIJ"]},
    ]
    with_changes(sanne, live_server.doc_url("jongere", "plan"), changes)

    summary = sanne.locator(".changes-summary")
    assert summary.get_by_role("heading", name="Nieuw sinds je laatste bezoek").is_visible()
    assert "Er zijn 3 dingen veranderd" in summary.inner_text()
    field = sanne.locator(f'[data-path="doelen/{goal}/doel"]')
    field.locator(".new-marker").wait_for()
    assert field.locator(".new-marker").text_content() == "Nieuw Veranderd door Wendy WIJ"
    domain = sanne.locator(f'[data-path="doelen/{goal}/domein"] .new-marker')
    assert domain.text_content() == "Nieuw Veranderd door Wendy WIJ en Marieke"
    assert sanne.locator(".new-marker").count() == 2  # the gone goal has no field to mark
    assert "Een doel dat er niet meer is — veranderd door Wendy WIJ" in summary.inner_text()
    assert summary.get_by_role("link", name="Een doel dat er niet meer is").count() == 0
    sanne.wait_for_function(
        "() => document.querySelector('#editor-announce').textContent.includes('Nieuw sinds')"
    )
    assert any("3 dingen veranderd" in a for a in announcements(sanne))
    sanne.screenshot(path=f"{SHOTS}/editor-changes-youth-phone.png", full_page=True)

    # the summary takes her to the field
    summary.get_by_role("link", name="Doel 1 · Bij welk deel van je leven hoort het?").click()
    assert sanne.evaluate("document.activeElement.closest('[data-path]').dataset.path") == (
        f"doelen/{goal}/domein"
    )
    # and she can put the markers away
    summary.get_by_role("button", name="Markeringen weghalen").click()
    assert sanne.locator(".new-marker, .changes-summary, .is-new").count() == 0


def test_the_mother_sees_new_text_in_the_perspective_marked(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    wendy = open_as("aanspreekpunt")
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "perspectief"))
    wonen = wendy.get_by_role("group", name="Wonen")
    wonen.get_by_label("Hoe gaat het nu?").fill("Sanne woont bij haar moeder.")
    wonen.get_by_label("Cijfer van de jongere").fill("6")
    wait_saved(wendy)
    marieke = open_as("moeder")
    with_changes(
        marieke,
        live_server.doc_url("moeder", "perspectief"),
        [
            {
                "path": "domein.wonen/huidige_situatie",
                "label": "Wonen · Hoe gaat het nu?",
                "by": ["Wendy WIJ"],
            },
            {
                "path": "domein.wonen/schaal_jongere",
                "label": "Wonen · Cijfer van de jongere",
                "by": ["Sanne"],
            },
        ],
    )
    group = marieke.get_by_role("group", name="Wonen")
    group.locator(".new-marker").first.wait_for()
    assert group.locator(".new-marker").all_text_contents() == [
        "Nieuw Veranderd door Wendy WIJ",
        "Nieuw Veranderd door Sanne",
    ]
    assert (
        marieke.get_by_role("group", name="Steun (mensen om je heen)")
        .locator(".new-marker")
        .count()
        == 0
    )
    marieke.screenshot(path=f"{SHOTS}/editor-changes-mother-desktop.png", full_page=True)


def test_an_empty_list_of_changes_shows_nothing(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    sanne = open_as("jongere")
    with_changes(sanne, live_server.doc_url("jongere", "plan"), [])
    assert sanne.locator(".changes-summary, .new-marker").count() == 0


HOSTILE = ['<img src=x onerror="document.title=1">', '"><svg onload=alert(1)>', "{{7*7}}"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_labels_and_names_of_changes_stay_text(live_server, open_as, value) -> None:  # type: ignore[no-untyped-def]
    sanne = open_as("jongere")
    with_changes(
        sanne,
        live_server.doc_url("jongere", "verhaal/mijn"),
        [{"path": "mijn_verhaal", "label": f"Verhaal {value}", "by": [f"Naam {value}"]}],
    )
    summary = sanne.locator(".changes-summary")
    assert f"Verhaal {value} — veranderd door Naam {value}" in summary.inner_text()
    marker = sanne.locator('[data-path="mijn_verhaal"] .new-marker')
    assert marker.text_content() == f"Nieuw Veranderd door Naam {value}"
    assert sanne.locator("#editor-root img, #editor-root svg, .changes-summary img").count() == 0
    assert sanne.title() != "1"

"""With the Content-Security-Policy on, every page still looks and works as it should, and
markup that would somehow get into a page cannot run script."""

from __future__ import annotations

import pytest

from tests.browser.test_editor import wait_saved

pytestmark = pytest.mark.browser

SHOTS = "/tmp/shots"

# Recorded from the first moment of every page (an init script is not subject to the CSP).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`);
});
"""


def violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    return list(page.evaluate("window.__cspViolations || []"))


def test_every_main_page_loads_its_styles_and_scripts_without_a_csp_violation(
    live_server, open_as
) -> None:  # type: ignore[no-untyped-def]
    case_id = live_server.case_id
    wendy = open_as("aanspreekpunt")
    wendy.context.add_init_script(RECORD_VIOLATIONS)
    for path in (
        "/",
        f"/cases/{case_id}",
        f"/cases/{case_id}/deelnemers",
        f"/cases/{case_id}/delen",
        f"/cases/{case_id}/versies",
        f"/cases/{case_id}/logboek",
        f"/cases/{case_id}/toestemming",
        "/cases/new",
        "/bestaat-niet",
    ):
        wendy.goto(f"{live_server.url}{path}")
        wendy.wait_for_load_state("networkidle")
        # eenplan.css applied (the skip link is moved out of sight), htmx and eenplan.js ran
        assert (
            wendy.evaluate("getComputedStyle(document.querySelector('.skip-link')).position")
            == "absolute"
        ), path
        assert wendy.evaluate("typeof window.htmx") == "object", path
        assert violations(wendy) == [], path
    wendy.screenshot(path=f"{SHOTS}/csp-not-found.png", full_page=True)


def test_the_editor_connects_and_shows_who_is_there_in_colour_under_the_csp(
    live_server, open_as
) -> None:  # type: ignore[no-untyped-def]
    wendy = open_as("aanspreekpunt")
    sanne = open_as("jongere")
    for page in (wendy, sanne):
        page.context.add_init_script(RECORD_VIOLATIONS)
    for page, who in ((wendy, "aanspreekpunt"), (sanne, "jongere")):
        page.goto(live_server.doc_url(who, "analyse"))
        wait_saved(page)
        page.get_by_label("Wat gaat goed?").click()
    # colours set by the editor through the CSSOM, which the policy allows
    marker = wendy.wait_for_selector(".presence-marker >> text=Sanne typt hier")
    colour = marker.evaluate("el => getComputedStyle(el).borderTopColor")
    dot = wendy.wait_for_selector("#presence-list .presence-person:not(.me) .dot", state="attached")
    assert dot.evaluate("el => el.style.background") != ""
    assert colour == dot.evaluate("el => getComputedStyle(el).backgroundColor")
    wendy.screenshot(path=f"{SHOTS}/csp-editor.png", full_page=True)
    assert violations(wendy) == [] and violations(sanne) == []


def test_the_print_view_prints_with_its_own_stylesheet_and_refuses_injected_script(
    live_server, open_as
) -> None:  # type: ignore[no-untyped-def]
    page = open_as("aanspreekpunt")
    page.context.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live_server.url}/cases/{live_server.case_id}/print")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("getComputedStyle(document.querySelector('.sheet')).maxWidth") != "none"
    page.screenshot(path=f"{SHOTS}/csp-print.png", full_page=True)
    assert violations(page) == []

    page.evaluate("window.print = () => { window.__printed = true }")
    page.get_by_role("button", name="Afdrukken").click()
    assert page.evaluate("window.__printed === true")

    # As if a value had become markup: the browser must not run it.
    page.evaluate(
        """document.body.insertAdjacentHTML('beforeend',
             '<img src="/bestaat-niet.png" onerror="window.__ran = true">' +
             '<div id="styled" style="color: rgb(255, 0, 0)">x</div>')"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran === undefined")
    assert page.evaluate("getComputedStyle(document.getElementById('styled')).color") != (
        "rgb(255, 0, 0)"
    )
    assert any("script-src" in v for v in violations(page))


def test_the_copy_button_copies_a_new_invitation_link_without_inline_script(
    live_server, open_as
) -> None:  # type: ignore[no-untyped-def]
    page = open_as("aanspreekpunt")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.context.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live_server.url}/cases/{live_server.case_id}/deelnemers")
    page.get_by_label("E-mailadres").fill("oom.csp@voorbeeld.nl")
    page.locator("#f-role").select_option("netwerk")
    page.get_by_role("button", name="Uitnodiging maken").click()  # htmx swaps in the result
    page.get_by_role("button", name="Kopieer link").click()
    page.get_by_role("button", name="Gekopieerd").wait_for()
    link = page.input_value("#invite-link")
    assert "/uitnodiging/" in link
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert violations(page) == []

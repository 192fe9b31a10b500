"""In a real browser, on a phone (390 px): the account pages that are set up once and then
left alone: the mail choices and setting up two-factor sign-in."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PHONE = 390


def test_mail_choices_are_big_radio_buttons_beside_their_labels_under_a_bold_question(
    live_server, open_as
) -> None:  # type: ignore[no-untyped-def]
    page = open_as("jongere", width=PHONE, height=844)
    page.goto(f"{live_server.url}/account/meldingen")
    radios = page.locator("input[type=radio]")
    assert radios.count() >= 6
    for i in range(radios.count()):
        radio = radios.nth(i)
        box = radio.bounding_box()
        label = page.locator(f"label[for='{radio.get_attribute('id')}']").bounding_box()
        assert box is not None and label is not None
        assert box["width"] >= 24 and box["height"] >= 24
        # beside it, on the same line: the label starts right of the button, not below it
        assert label["x"] >= box["x"] + box["width"]
        assert label["y"] < box["y"] + box["height"] and box["y"] < label["y"] + label["height"]
    weights = page.evaluate(
        "[...document.querySelectorAll('legend')].map(l => Number(getComputedStyle(l).fontWeight))"
    )
    assert weights and min(weights) >= 700
    # without JavaScript it is a plain form: choose with the keyboard and save
    page.locator("#f-akkoord-nooit").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_text("Je keuzes zijn opgeslagen.").wait_for()
    assert page.locator("#f-akkoord-nooit").is_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE


def test_the_typed_key_breaks_only_between_its_groups_on_a_phone(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    page = open_as("moeder", width=PHONE, height=844)  # she has not set it up
    page.goto(f"{live_server.url}/account/tweestapsverificatie")
    groups = page.locator(".secret .key-group")
    assert groups.count() == 8
    # each group of four stands on one line (a group broken in two has two boxes)
    lines = page.evaluate(
        "[...document.querySelectorAll('.secret .key-group')].map(g => g.getClientRects().length)"
    )
    assert lines == [1] * 8
    link = page.get_by_role("link", name="Open in je app")
    assert (link.get_attribute("href") or "").startswith("otpauth://totp/")
    box = link.bounding_box()
    assert box is not None and box["height"] >= 44

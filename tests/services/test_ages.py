"""Age bands change on the 12th, 16th and 18th birthday itself."""

from __future__ import annotations

from datetime import date

import pytest

from app.services.ages import (
    AgeBand,
    age_band_on,
    age_on,
    band_birthdays_between,
    birthday_in_year,
    next_band_birthday,
)


@pytest.mark.parametrize(
    ("birth", "day", "band"),
    [
        (date(2014, 5, 10), date(2026, 5, 9), AgeBand.under_12),
        (date(2014, 5, 10), date(2026, 5, 10), AgeBand.from_12_to_15),
        (date(2010, 5, 10), date(2026, 5, 9), AgeBand.from_12_to_15),
        (date(2010, 5, 10), date(2026, 5, 10), AgeBand.from_16),
    ],
)
def test_band_changes_on_the_birthday(birth: date, day: date, band: AgeBand) -> None:
    assert age_band_on(birth, day) == band


def test_leap_day_birthday_counts_from_the_first_of_march() -> None:
    assert age_on(date(2012, 2, 29), date(2024, 2, 28)) == 11
    assert age_on(date(2012, 2, 29), date(2024, 2, 29)) == 12
    assert age_on(date(2012, 2, 29), date(2025, 3, 1)) == 13
    assert age_on(date(2012, 2, 29), date(2025, 2, 28)) == 12


def test_the_18th_birthday_starts_the_adult_band() -> None:
    assert age_band_on(date(2008, 5, 10), date(2026, 5, 9)) == AgeBand.from_16
    assert age_band_on(date(2008, 5, 10), date(2026, 5, 10)) == AgeBand.from_18
    assert str(AgeBand.from_18) == "18+"


def test_the_next_birthday_that_changes_the_band() -> None:
    born = date(2010, 5, 10)
    assert next_band_birthday(born, date(2026, 5, 9)) == (16, date(2026, 5, 10))
    assert next_band_birthday(born, date(2026, 5, 10)) == (16, date(2026, 5, 10))
    assert next_band_birthday(born, date(2026, 5, 11)) == (18, date(2028, 5, 10))
    assert next_band_birthday(born, date(2028, 5, 11)) is None
    assert band_birthdays_between(born, date(2026, 1, 1), date(2028, 12, 31)) == [
        (16, date(2026, 5, 10)),
        (18, date(2028, 5, 10)),
    ]
    assert birthday_in_year(date(2012, 2, 29), 12) == date(2024, 2, 29)
    assert birthday_in_year(date(2012, 2, 29), 13) == date(2025, 3, 1)

"""Age bands change on the 12th and 16th birthday itself."""

from __future__ import annotations

from datetime import date

import pytest

from app.services.ages import AgeBand, age_band_on, age_on


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

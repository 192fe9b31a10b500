"""Age bands of the youth, which decide who must consent and, from 18, what parents read."""

from __future__ import annotations

import enum
from datetime import date

# The birthdays on which the band changes.
BAND_BIRTHDAYS = (12, 16, 18)


class AgeBand(enum.StrEnum):
    under_12 = "<12"
    from_12_to_15 = "12-15"
    from_16 = "16+"
    # An adult: parents no longer have gezag, and read only what the youth allows.
    from_18 = "18+"


def age_on(birth_date: date, day: date) -> int:
    """Whole years on ``day``; the birthday itself counts (29 February: on 1 March)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def age_band_on(birth_date: date, day: date) -> AgeBand:
    age = age_on(birth_date, day)
    if age < 12:
        return AgeBand.under_12
    if age < 16:
        return AgeBand.from_12_to_15
    if age < 18:
        return AgeBand.from_16
    return AgeBand.from_18


def is_adult_on(birth_date: date, day: date) -> bool:
    """18 or older on ``day``."""
    return age_band_on(birth_date, day) == AgeBand.from_18


def birthday_in_year(birth_date: date, years: int) -> date:
    """The day the youth turns ``years`` (born on 29 February: 1 March in other years)."""
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:
        return date(birth_date.year + years, 3, 1)


def next_band_birthday(birth_date: date, day: date) -> tuple[int, date] | None:
    """The next birthday on or after ``day`` that changes the age band (12, 16 or 18), with
    the age turned; None when the youth is 18 or older."""
    for years in BAND_BIRTHDAYS:
        birthday = birthday_in_year(birth_date, years)
        if birthday >= day:
            return years, birthday
    return None


def band_birthdays_between(birth_date: date, first: date, last: date) -> list[tuple[int, date]]:
    """Birthdays that change the band from ``first`` through ``last`` (both included)."""
    found = []
    for years in BAND_BIRTHDAYS:
        birthday = birthday_in_year(birth_date, years)
        if first <= birthday <= last:
            found.append((years, birthday))
    return found

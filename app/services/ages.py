"""Age bands of the youth, which decide who must consent."""

from __future__ import annotations

import enum
from datetime import date


class AgeBand(enum.StrEnum):
    under_12 = "<12"
    from_12_to_15 = "12-15"
    from_16 = "16+"


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
    return AgeBand.from_16

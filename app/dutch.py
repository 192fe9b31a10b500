"""Dates and times the way a Dutch reader expects them ("23 november 2026", Dutch clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip


def _dutch_zone() -> tzinfo:
    try:
        return ZoneInfo("Europe/Amsterdam")
    except ZoneInfoNotFoundError:  # no time zone data on this system (tzdata is a dependency)
        return UTC


DUTCH_TIME = _dutch_zone()


def local_time(moment: datetime) -> datetime:
    """A stored (UTC) moment as Dutch clock time."""
    return moment.astimezone(DUTCH_TIME)


def dutch_date(value: date | datetime | str | None) -> str:
    """'23 november 2026'. Aware moments are read on the Dutch clock; ISO strings are parsed;
    anything unreadable is returned as it was."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = local_time(value)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def dutch_time(value: datetime | None) -> str:
    """'14:05' on the Dutch clock."""
    if value is None:
        return ""
    return local_time(value).strftime("%H:%M")


def enumeration(items: list[str]) -> str:
    """'Sanne, Johan en Marieke'."""
    names = [str(item) for item in items]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " en " + names[-1]

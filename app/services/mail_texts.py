"""What eenplan's mails say: plain text in B1 Dutch.

A mail never holds content of the plan (no goals, no analysis, no titles someone typed): only
what is waiting, for which family, and a link. Every text is made here, so that rule is
checked in one place.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from app.dutch import dutch_date


class MailKind(enum.StrEnum):
    uitnodiging = "uitnodiging"  # an invitation to join a case (always sent)
    beveiliging = "beveiliging"  # your sign-in changed (always sent)
    wachtwoord = "wachtwoord"  # a link to choose a new password (always sent)
    akkoord = "akkoord"  # a version waits for your akkoord
    evaluatie = "evaluatie"  # an evaluation is coming up (professionals)
    ronde = "ronde"  # an evaluation round asks for your own scores
    toestemming = "toestemming"  # consent is needed again after a birthday
    link = "link"  # a share link expires soon (the aanspreekpunt)
    overzicht = "overzicht"  # the daily digest


# The kinds a person chooses for: at once, once a day, or never.
CHOOSABLE: dict[MailKind, str] = {
    MailKind.akkoord: "Een nieuwe versie van het plan wacht op jouw akkoord",
    MailKind.evaluatie: "Over 7 dagen is er een evaluatie (voor hulpverleners)",
    MailKind.ronde: "Voor een zorgoverleg wordt jouw mening in cijfers gevraagd",
    MailKind.toestemming: "Toestemming moet opnieuw, omdat de jongere jarig is geweest",
    MailKind.link: "Een gedeelde link stopt binnenkort (voor het vaste aanspreekpunt)",
}
# The same kinds as the youth reads them: the birthday is their own.
YOUTH_LABELS: dict[MailKind, str] = {
    MailKind.toestemming: "Toestemming moet opnieuw, omdat je jarig bent geweest",
}

FOOTER = (
    "In deze mail staat niets uit het plan zelf. Zo blijft wat jullie schrijven veilig.\n"
    "Wil je deze mails liever één keer per dag, of niet meer? Kies het hier:\n{settings_link}\n"
)
SECURITY_FOOTER = (
    "Deze mail krijg je altijd: hij gaat over de veiligheid van je account.\n"
    "Heb jij dit niet gedaan? Kies dan meteen een nieuw wachtwoord:\n{reset_link}\n"
    "En vertel het je vaste aanspreekpunt.\n"
)


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def _greeting(name: str) -> str:
    return f"Hallo {name},\n\n" if name else "Hallo,\n\n"


def notice_line(
    kind: MailKind, *, family: str, when: date | None = None, days: int = 0, to_youth: bool = False
) -> str:
    """One sentence that says what waits (used alone, or as a line of the daily digest).
    ``to_youth``: the line goes to the youth, so a birthday is theirs ("je")."""
    match kind:
        case MailKind.akkoord:
            return (
                f"Er is een nieuwe versie van het plan van {family}. "
                "Lees hem en zeg of je het ermee eens bent."
            )
        case MailKind.evaluatie:
            day = dutch_date(when) if when else "binnenkort"
            soon = "vandaag" if days == 0 else ("morgen" if days == 1 else f"over {days} dagen")
            return f"De evaluatie van het plan van {family} is {soon}, op {day}."
        case MailKind.ronde:
            meeting = f" op {dutch_date(when)}" if when else ""
            return (
                f"Voor het zorgoverleg over het plan van {family}{meeting} vragen we iedereen: "
                "hoe gaat het volgens jou? Geef een cijfer van 0 tot 10 voor elk doel en "
                "elk gebied."
            )
        case MailKind.toestemming if to_youth:
            return (
                f"Je bent jarig geweest. Daardoor verandert wie beslist over delen in het plan "
                f"van {family}. Geef je toestemming opnieuw."
            )
        case MailKind.toestemming:
            return (
                f"De jongere van {family} is jarig geweest. Daardoor verandert wie beslist over "
                "delen. De toestemming moet opnieuw gegeven worden."
            )
        case MailKind.link:
            day = dutch_date(when) if when else "binnenkort"
            return f"Een gedeelde link van {family} stopt op {day}. Maak zo nodig een nieuwe."
    raise ValueError(kind)


SUBJECTS: dict[MailKind, str] = {
    MailKind.akkoord: "Een nieuwe versie wacht op jouw akkoord",
    MailKind.evaluatie: "De evaluatie van een plan komt eraan",
    MailKind.ronde: "Geef je cijfers voor het zorgoverleg",
    MailKind.toestemming: "Toestemming moet opnieuw",
    MailKind.link: "Een gedeelde link stopt binnenkort",
}


def notice(kind: MailKind, *, name: str, line: str, link: str, settings_link: str) -> Mail:
    """A mail with one thing that waits, sent at once."""
    body = (
        f"{_greeting(name)}{line}\n\nOpen eenplan om het te bekijken:\n{link}\n\n"
        f"{FOOTER.format(settings_link=settings_link)}\nGroet,\neenplan\n"
    )
    return Mail(SUBJECTS[kind], body)


def digest(*, name: str, lines: list[tuple[str, str]], settings_link: str) -> Mail:
    """The daily digest: every waiting thing of the day, each with its link."""
    items = "\n\n".join(f"- {line}\n  {link}" for line, link in lines)
    count = "1 ding" if len(lines) == 1 else f"{len(lines)} dingen"
    body = (
        f"{_greeting(name)}Dit wacht op je in eenplan ({count}):\n\n{items}\n\n"
        f"{FOOTER.format(settings_link=settings_link)}\nGroet,\neenplan\n"
    )
    return Mail(f"Je overzicht van vandaag: {count} in eenplan", body)


def invitation(
    *, inviter: str, family: str, role: str, link: str, valid_days: int, sign_in_link: str
) -> Mail:
    """An invitation to join the plan of a family."""
    body = (
        f"Hallo,\n\n{inviter} nodigt je uit om mee te doen aan het plan van {family}, "
        f"als {role.lower()}.\n\nOpen deze link om mee te doen. Hij werkt {valid_days} dagen "
        f"en één keer:\n{link}\n\nHeb je al een account? Log dan eerst in:\n{sign_in_link}\n\n"
        "Ken je deze persoon niet? Dan kun je deze mail weggooien.\n\nGroet,\neenplan\n"
    )
    return Mail(f"Uitnodiging voor het plan van {family}", body)


def password_reset(*, name: str, link: str, valid_minutes: int) -> Mail:
    """The single-use link to choose a new password."""
    body = (
        f"{_greeting(name)}Je wilt een nieuw wachtwoord voor eenplan. Kies het via deze link. "
        f"Hij werkt {valid_minutes} minuten en één keer:\n{link}\n\n"
        "Heb jij dit niet gevraagd? Dan hoef je niets te doen. Je wachtwoord blijft hetzelfde.\n\n"
        "Groet,\neenplan\n"
    )
    return Mail("Kies een nieuw wachtwoord voor eenplan", body)


SIGN_IN_CHANGES = {
    "wachtwoord": "Je wachtwoord is gewijzigd.",
    "wachtwoord_hersteld": "Je hebt een nieuw wachtwoord gekozen via de link in je mail. "
    "Op al je apparaten ben je uitgelogd.",
    "tweestaps_aan": "Inloggen in twee stappen staat nu aan.",
    "herstelcodes": "Er zijn nieuwe herstelcodes gemaakt. De oude werken niet meer.",
    "tweestaps_opnieuw": "Je hebt ingelogd met een herstelcode, omdat de code uit je app niet "
    "meer gecontroleerd kon worden. Stel inloggen in twee stappen opnieuw in bij Mijn account. "
    "De andere herstelcodes werken niet meer.",
}


def sign_in_changed(*, name: str, change: str, reset_link: str) -> Mail:
    """Your sign-in changed (password, two-factor): always sent."""
    body = (
        f"{_greeting(name)}{SIGN_IN_CHANGES[change]}\n\n"
        f"{SECURITY_FOOTER.format(reset_link=reset_link)}\nGroet,\neenplan\n"
    )
    return Mail("Je inloggegevens van eenplan zijn gewijzigd", body)

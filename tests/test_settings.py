"""Settings validate themselves, and every one of them is documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import PLACEHOLDER_SECRET, Settings, settings_problems

README = Path(__file__).resolve().parent.parent / "README.md"


def test_production_refuses_the_placeholder_secret() -> None:
    with pytest.raises(ValidationError, match="EENPLAN_SECRET_KEY"):
        Settings(environment="production", secret_key=PLACEHOLDER_SECRET)


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(ValidationError):
        Settings(environment="production", secret_key="te-kort")


def test_production_accepts_a_real_secret() -> None:
    settings = Settings(environment="production", secret_key="x" * 40)
    assert settings.secret_key == "x" * 40


def test_defaults_need_nothing_but_sqlite() -> None:
    settings = Settings()
    assert settings.database_url.startswith("sqlite")
    assert settings.redis_url is None


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme_table(name: str) -> None:
    assert f"`EENPLAN_{name.upper()}`" in README.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("EENPLAN_MAX_MESSAGE_BYTES", "-1"),
        ("EENPLAN_MAX_MESSAGE_BYTES", "0"),
        ("EENPLAN_MAX_MESSAGE_BYTES", "1000000000000"),
        ("EENPLAN_SESSION_DAYS", "0"),
        ("EENPLAN_SESSION_DAYS", "100000"),
        ("EENPLAN_INVITATION_DAYS", "-3"),
        ("EENPLAN_LOGIN_MAX_ATTEMPTS", "0"),
        ("EENPLAN_LOGIN_WINDOW_SECONDS", "-900"),
        ("EENPLAN_PUBLIC_URL", "eenplan.example.nl"),
        ("EENPLAN_PUBLIC_URL", "ftp://eenplan.example.nl"),
    ],
)
def test_a_value_out_of_bounds_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    lines = settings_problems(refused.value)
    assert len(lines) == 1
    assert lines[0].startswith(f"{variable}=") and value in lines[0]


def test_every_problem_gets_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EENPLAN_MAX_MESSAGE_BYTES", "-1")
    monkeypatch.setenv("EENPLAN_SESSION_DAYS", "veertien")
    with pytest.raises(ValidationError) as refused:
        Settings()
    lines = settings_problems(refused.value)
    assert [line.split("=")[0] for line in lines] == [
        "EENPLAN_SESSION_DAYS",
        "EENPLAN_MAX_MESSAGE_BYTES",
    ]
    assert all("\n" not in line for line in lines)
    assert "whole number" in lines[0] and "at least" in lines[1]


@pytest.mark.parametrize(
    "name",
    sorted(n for n, f in Settings.model_fields.items() if f.annotation in (int, float)),
)
def test_every_number_setting_has_bounds(name: str) -> None:
    """A new number setting needs its bounds (ge=…, le=… on its Field), so that a typo such
    as a minus sign is refused at start instead of breaking something later."""
    bounds = {type(m).__name__ for m in Settings.model_fields[name].metadata}
    assert bounds & {"Ge", "Gt"} and bounds & {"Le", "Lt"}, name


def test_a_problem_with_a_secret_never_prints_the_secret() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(secret_key=1234567890123, redis_url=98765)  # type: ignore[arg-type]
    lines = settings_problems(refused.value)
    assert [line.split("=")[0] for line in lines] == ["EENPLAN_REDIS_URL", "EENPLAN_SECRET_KEY"]
    assert not any("1234567890123" in line or "98765" in line for line in lines)

"""Settings validate themselves, and every one of them is documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import PLACEHOLDER_SECRET, Settings

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

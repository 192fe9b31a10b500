"""Every template escapes what it is given, whatever its file name ends in."""

from __future__ import annotations

import jinja2
import pytest
from markupsafe import escape

from app.web.templating import TEMPLATES_DIR, make_templates

HOSTILE = "</style><script>alert(1)</script>"
TEMPLATES = sorted(
    p.relative_to(TEMPLATES_DIR).as_posix() for p in TEMPLATES_DIR.rglob("*") if p.is_file()
)


@pytest.mark.parametrize("name", [*TEMPLATES, "mail.txt", "extra.css", "data.js"])
def test_every_template_escapes_values_whatever_its_file_name(name: str) -> None:
    """The escaping decision is made per file name: a probe under each name (the real
    templates, and names someone may add later, such as a plain-text mail or a stylesheet)
    must escape a hostile value."""
    env = make_templates().env
    probe = env.overlay(loader=jinja2.DictLoader({name: "{{ value }}"}))
    assert probe.get_template(name).render(value=HOSTILE) == str(escape(HOSTILE))

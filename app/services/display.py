"""Turn schema-shaped document data (``read_document``) into Dutch text for pages and paper."""

from __future__ import annotations

from typing import Any

from app.crdt.schema import option_label, options
from app.dutch import dutch_date


def display_value(field: dict[str, Any], value: Any, names: dict[int, str]) -> str:
    """One field's value as a person reads it ('' when empty)."""
    kind = field["kind"]
    if value is None:
        return ""
    if kind in ("text", "line"):
        return str(value).strip()
    if kind == "choice":
        return option_label(field["options"], value)
    if kind == "number":
        return str(value)
    if kind == "date":
        return dutch_date(str(value))
    if kind == "person":
        if "participant_id" in value:
            return names.get(value["participant_id"], "iemand die niet meer meedoet")
        return str(value.get("name", ""))
    if kind == "flags":
        labels = {o["value"]: o["label"] for o in options(field["options"])}
        return ", ".join(labels.get(v, v) for v in value)
    if kind == "refs":
        return f"{len(value)} gekoppeld" if value else ""
    if kind == "list":
        return f"{len(value)} {field['item']['label'].lower()}(en)" if value else ""
    return str(value)


def item_title(item_schema: dict[str, Any], item: dict[str, Any], index: int) -> str:
    """'Doel 2: Naar school gaan' — the item label, its number and its first text."""
    label = f"{item_schema['label']} {index}"
    for field in item_schema["fields"]:
        if field["kind"] in ("text", "line") and str(item.get(field["key"], "")).strip():
            text = str(item[field["key"]]).strip().splitlines()[0]
            return f"{label}: {text[:80]}{'…' if len(text) > 80 else ''}"
    return label


# On pages (print, versions, automatic versions): plain words first, the official term beside
# them; and the youth reads about herself in the second person. Keyed by field, so the labels
# of the schema (the editor's) stay as they are.
PLAIN_LABELS = {
    "zelfredzaamheid": "Hoe goed lukt het zonder hulp? (zelfredzaamheid, 1 tot 5)",
}
YOUTH_LABELS = {
    "wens_jongere": "Wat wil jij?",
    "schaal_jongere": "Jouw cijfer (0 tot 10)",
}


def page_label(field: dict[str, Any], youth: bool = False) -> str:
    """The label of a field on a page, for the youth (``youth``) or anyone else."""
    key = field["key"]
    if youth and key in YOUTH_LABELS:
        return YOUTH_LABELS[key]
    return PLAIN_LABELS.get(key, field["label"])


def short_code(content_hash: str) -> str:
    """'3F2A-9C1B-77D0': the first twelve characters of a version's hash, easy to read aloud
    and compare with the paper; the whole hash stays available."""
    head = content_hash[:12].upper()
    return "-".join(head[i : i + 4] for i in range(0, len(head), 4))

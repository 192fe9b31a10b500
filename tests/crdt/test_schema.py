"""The document schema: read back documents built the way the browser editor builds them."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text

from app.crdt.schema import (
    deleted_items,
    load_schema,
    option_label,
    read_document,
    section_schema,
    section_title,
)
from app.models import Section

ROOT = Path(__file__).resolve().parents[2]


def item(**fields: Any) -> Map:
    """A list item as the editor's newItem() makes it: every nested type created at once."""
    return Map(fields)


def roundtrip(doc: Doc) -> Doc:
    """What the server sees: the update bytes applied to a fresh document."""
    fresh = Doc()
    fresh.apply_update(doc.get_update())
    return fresh


def test_every_section_has_a_schema_with_known_option_lists_and_link_targets() -> None:
    schema = load_schema()
    assert set(schema["sections"]) == {s.value for s in Section}

    def fields_of(container: dict[str, Any]) -> list[dict[str, Any]]:
        found = []
        for field in container.get("fields", container.get("item", {}).get("fields", [])):
            found.append(field)
            if field["kind"] == "list":
                found.extend(fields_of(field))
        return found

    for name, section in schema["sections"].items():
        keys = [block["key"] for block in section["blocks"]]
        assert len(keys) == len(set(keys)), name
        for block in section["blocks"]:
            assert block["label"]
            if "groups" in block:
                assert block["groups"] in schema["option_lists"]
            for field in fields_of(block):
                assert field["label"], (name, field)
                if "options" in field:
                    assert field["options"] in schema["option_lists"], field
                if field["kind"] == "refs":
                    target_section = field["to"].get("doc", name)
                    targets = [b["key"] for b in schema["sections"][target_section]["blocks"]]
                    assert field["to"]["list"] in targets, field


def test_analysis_reads_back_texts_lists_links_and_answers() -> None:
    doc = Doc()
    doc.get("krachten", type=Text).insert(0, "Sanne gaat graag naar voetbal.")
    zorgen = doc.get("zorgen", type=Array)
    zorgen.append(item(id="z1", tekst=Text("Ze slaapt slecht."), bron=Text("moeder")))
    factor = item(
        id="f1",
        tekst=Text("Veel ruzie thuis."),
        soort="risico",
        rol="instandhoudend",
        bron=Text("school"),
    )
    doc.get("factoren.gezin", type=Array).append(factor)
    doc.get("factoren.kind", type=Array).append(
        item(id="f2", tekst=Text("Sport helpt."), soort="beschermend", rol="geen-idee", bron=Text())
    )
    doc.get("hypothesen", type=Array).append(
        item(
            id="h1",
            tekst=Text("Door de ruzies slaapt ze slecht."),
            factoren=Array(["f1", "f1"]),
            zorgen=Array(["z1"]),
            status="werkhypothese",
        )
    )
    doc.get("herkenning", type=Map)["12"] = Map({"antwoord": "deels", "toelichting": Text("Soms.")})

    data = read_document("analyse", roundtrip(doc))

    assert data["krachten"] == "Sanne gaat graag naar voetbal."
    assert data["zorgen"] == [{"id": "z1", "tekst": "Ze slaapt slecht.", "bron": "moeder"}]
    assert data["factoren"]["gezin"][0]["rol"] == "instandhoudend"
    assert data["factoren"]["kind"][0]["rol"] is None  # unknown choice values are not passed on
    assert data["factoren"]["ouders"] == []
    assert data["hypothesen"][0]["factoren"] == ["f1"]  # a link chosen twice counts once
    assert data["hypothesen"][0]["zorgen"] == ["z1"]
    assert data["herkenning"] == {"12": {"antwoord": "deels", "toelichting": "Soms."}}
    assert data["verschillen"] == ""
    assert data["eerdere_hulp"] == []


def test_plan_reads_goals_with_actions_people_and_whole_numbers() -> None:
    doc = Doc()
    doelen = doc.get("doelen", type=Array)
    doelen.append(
        item(
            id="d1",
            doel=Text("Weer naar school"),
            domein="school_werk",
            prioriteit="hoog",
            evaluatiedatum="2027-03-01",
            status="actief",
            hypothesen=Array(["h1"]),
            acties=Array(
                [
                    item(
                        id="a1",
                        wat=Text("Gesprek met mentor"),
                        wie="7",
                        wie_naam=Text(),
                        wanneer=Text("voor vrijdag"),
                        status="te_doen",
                    ),
                    item(
                        id="a2",
                        wat=Text("Meegaan"),
                        wie="anders",
                        wie_naam=Text("Oom Kees"),
                        wanneer=Text(),
                        status="bezig",
                    ),
                    item(
                        id="a3",
                        wat=Text("Niemand"),
                        wie="anders",
                        wie_naam=Text("  "),
                        wanneer=Text(),
                        status="klaar",
                    ),
                ]
            ),
        )
    )
    # a concurrent move can leave a copy with the same id behind; it is shown once
    doelen.append(item(id="d1", doel=Text("kopie"), acties=Array()))

    data = read_document("plan", roundtrip(doc))

    [goal] = data["doelen"]
    assert goal["doel"] == "Weer naar school"
    assert goal["evaluatiedatum"] == "2027-03-01"
    assert goal["hypothesen"] == ["h1"]
    assert [a["wie"] for a in goal["acties"]] == [
        {"participant_id": 7},
        {"name": "Oom Kees"},
        None,
    ]
    assert goal["acties"][0]["wanneer"] == "voor vrijdag"


def zorgen_read(*items: Map) -> list[tuple[str, str]]:
    doc = Doc()
    doc.get("zorgen", type=Array).extend(list(items))
    return [(z["id"], z["tekst"]) for z in read_document("analyse", roundtrip(doc))["zorgen"]]


def test_list_items_with_an_order_are_read_in_that_order() -> None:
    # the editor moves an item by changing only its `order`, never its place in the array
    read = zorgen_read(
        item(id="a", tekst=Text("eerste in de array"), order=2.0),
        item(id="b", tekst=Text("tweede"), order=-1.0),
        item(id="c", tekst=Text("derde"), order=0.5),
    )
    assert [i for i, _ in read] == ["b", "c", "a"]
    assert read[2] == ("a", "eerste in de array")
    doc = Doc()
    doc.get("zorgen", type=Array).append(item(id="a", tekst=Text(), bron=Text(), order=1.0))
    [zorg] = read_document("analyse", roundtrip(doc))["zorgen"]
    assert set(zorg) == {"id", "tekst", "bron"}  # `order` is not passed on


def test_list_items_without_an_order_keep_their_array_order() -> None:
    read = zorgen_read(*(item(id=name, tekst=Text(name)) for name in ("z3", "z1", "z2")))
    assert [i for i, _ in read] == ["z3", "z1", "z2"]


def test_a_list_with_and_without_orders_reads_the_same_every_time() -> None:
    # an item without an order stands at its index; equal places go by index
    items = [
        ("a", None),  # place 0
        ("b", 2.0),  # place 2, array index 1: before c (same place, index 2)
        ("c", None),  # place 2
        ("d", 0.5),  # place 0.5
        ("e", 1.0),  # place 1, index 4
        ("f", 1.0),  # place 1, index 5
        ("g", True),  # not a number: place 6
        ("h", float("nan")),  # not a number: place 7
        ("i", float("inf")),  # not a number: place 8
        ("j", "1"),  # not a number: place 9
    ]
    expected = ["a", "d", "e", "f", "b", "c", "g", "h", "i", "j"]

    def build() -> list[Map]:
        maps = []
        for name, order in items:
            fields: dict[str, Any] = {"id": name, "tekst": Text(name)}
            if order is not None:
                fields["order"] = order
            maps.append(item(**fields))
        return maps

    for _ in range(3):
        assert [i for i, _ in zorgen_read(*build())] == expected
    # an old duplicate of an id: the first in the array counts, at its own place
    read = zorgen_read(*build(), item(id="a", tekst=Text("kopie"), order=-5.0))
    assert [i for i, _ in read] == expected
    assert read[0] == ("a", "a")


def test_perspective_reads_a_card_per_big_five_domain() -> None:
    doc = Doc()
    doc.get("domein.wonen.huidige_situatie", type=Text).insert(0, "Woont bij moeder.")
    wonen = doc.get("domein.wonen", type=Map)
    wonen["schaal_jongere"] = 7
    wonen["zelfredzaamheid"] = 9  # outside 1–5: not passed on
    wonen["bijdrage.zelf"] = True
    wonen["bijdrage.hulp"] = True

    data = read_document("perspectief", roundtrip(doc))

    assert list(data["domein"]) == ["steun", "wonen", "school_werk", "inkomen", "welzijn"]
    card = data["domein"]["wonen"]
    assert card["huidige_situatie"] == "Woont bij moeder."
    assert card["schaal_jongere"] == 7 and isinstance(card["schaal_jongere"], int)
    assert card["zelfredzaamheid"] is None
    assert card["bijdrage"] == ["zelf", "hulp"]
    assert data["domein"]["steun"]["schaal_jongere"] is None


def test_story_and_titles() -> None:
    doc = Doc()
    doc.get("hulpvraag", type=Text).insert(0, "Ik wil weer slapen.")
    assert read_document("verhaal/12", roundtrip(doc))["hulpvraag"] == "Ik wil weer slapen."
    assert section_title("verhaal/12", owner_name="Sanne") == "Het verhaal van Sanne"
    assert section_title("plan") == "Plan van aanpak"
    assert section_schema("verhaal/3")["blocks"][0]["key"] == "hulpvraag"
    assert option_label("big_five", "school_werk") == "School en werk"


def test_soft_deleted_items_are_left_out_of_the_document_and_listed_apart() -> None:
    doc = Doc()
    doelen = doc.get("doelen", type=Array)
    doelen.extend(
        [
            item(
                id="d1",
                doel=Text("Een bijbaantje"),
                status="actief",
                verwijderd_op="2026-03-02",
                verwijderd_door="12",
                acties=Array([item(id="a0", wat=Text("Vacatures lezen"))]),
            ),
            item(
                id="d2",
                doel=Text("Naar school"),
                status="actief",
                acties=Array(
                    [
                        item(id="a1", wat=Text("Wekker zetten")),
                        item(id="a2", wat=Text("Weg"), verwijderd_op="2026-03-03"),
                    ]
                ),
            ),
            item(id="d3", doel=Text("Niet weg"), verwijderd_op=""),  # an empty date: not deleted
        ]
    )
    doc.get("factoren.gezin", type=Array).append(
        item(id="f1", tekst=Text("Ruzie"), verwijderd_op="2026-03-04", verwijderd_door="x")
    )
    stored = roundtrip(doc)

    goals = read_document("plan", stored)["doelen"]
    assert [g["id"] for g in goals] == ["d2", "d3"]
    assert [a["wat"] for a in goals[0]["acties"]] == ["Wekker zetten"]
    assert all("verwijderd_op" not in g for g in goals)
    deleted = deleted_items("plan", stored)
    assert [(d["list"], d["item"]["id"]) for d in deleted] == [
        ("doelen", "d1"),
        ("doelen/d2/acties", "a2"),
    ]
    assert deleted[0]["verwijderd_op"] == "2026-03-02"
    assert deleted[0]["verwijderd_door"] == 12
    assert deleted[0]["item"]["doel"] == "Een bijbaantje"
    assert [a["wat"] for a in deleted[0]["item"]["acties"]] == ["Vacatures lezen"]
    assert deleted[1]["verwijderd_door"] is None
    [factor] = deleted_items("analyse", stored)
    assert factor["list"] == "factoren.gezin" and factor["verwijderd_door"] is None
    assert read_document("analyse", stored)["factoren"]["gezin"] == []


def test_reading_an_empty_document_gives_empty_values_and_changes_nothing() -> None:
    doc = Doc()
    before = doc.get_update()
    for section in ("analyse", "veiligheid", "plan", "perspectief", "verhaal"):
        read_document(section, doc)
    assert doc.get_update() == before


NODE_SCRIPT = r"""
import * as Y from 'yjs'
import { newItem, addItem, listItems, moveItem, recordText } from './frontend/src/model.js'
const schema = JSON.parse(process.argv[1])
const out = {}
{
  const doc = new Y.Doc()
  const blocks = schema.sections.plan.blocks
  const goalSchema = blocks.find((b) => b.key === 'doelen').item
  const actionSchema = goalSchema.fields.find((f) => f.key === 'acties').item
  const doelen = doc.getArray('doelen')
  const first = newItem(goalSchema)
  const second = newItem(goalSchema)
  doelen.push([first, second]) // as an editor from before `order` made them
  first.get('doel').insert(0, 'Eerste doel')
  second.get('doel').insert(0, 'Tweede doel')
  first.set('domein', 'wonen')
  const action = newItem(actionSchema)
  first.get('acties').push([action])
  action.get('wat').insert(0, 'Bellen')
  action.set('wie', 'anders')
  action.get('wie_naam').insert(0, 'Oma')
  let deleted = 0
  doelen.observe((event) => { deleted += event.changes.deleted.size })
  moveItem(doelen, second, -1)
  out.planMove = { deleted, same: doelen.get(0) === first && doelen.get(1) === second }
  out.plan = Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64')
}
{
  // keep moving the last item up: the gap it moves into halves every time, until the numbers
  // are too close and the list is renumbered
  const doc = new Y.Doc()
  const itemSchema = schema.sections.veiligheid.blocks.find((b) => b.key === 'afspraken').item
  const list = doc.getArray('afspraken')
  let expected = ['a', 'b', 'c']
  for (const word of expected) {
    const item = newItem(itemSchema)
    addItem(list, item)
    item.get('afspraak').insert(0, word)
  }
  const words = () => listItems(list).map(({ item }) => item.get('afspraak').toString())
  const orders = () => listItems(list).map(({ item }) => item.get('order'))
  out.added = { words: words(), orders: orders() }
  let wrong = 0
  let renumbered = 0
  for (let n = 0; n < 1200; n++) {
    moveItem(list, listItems(list)[2].item, -1)
    expected = [expected[0], expected[2], expected[1]]
    if (words().join() !== expected.join()) wrong++
    if (orders().join() === '0,1,2') renumbered++
  }
  out.gap = { wrong, renumbered, expected, length: list.length }
  out.afspraken = Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64')
}
{
  const doc = new Y.Doc()
  const block = schema.sections.perspectief.blocks[0]
  recordText(doc, 'domein.steun', block.fields[0]).insert(0, 'Goed')
  doc.getMap('domein.steun').set('schaal_jongere', 8)
  out.perspectief = Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64')
}
console.log(JSON.stringify(out))
"""


@pytest.mark.node
def test_documents_built_by_the_browser_model_read_back_in_python() -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "yjs").exists():
        pytest.skip("node and the npm packages are needed (make node-deps)")
    result = subprocess.run(
        [node, "--input-type=module", "-e", NODE_SCRIPT, json.dumps(load_schema())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    updates = json.loads(result.stdout)

    plan = Doc()
    plan.apply_update(base64.b64decode(updates["plan"]))
    goals = read_document("plan", plan)["doelen"]
    assert [g["doel"] for g in goals] == ["Tweede doel", "Eerste doel"]  # moved up
    assert goals[1]["domein"] == "wonen"
    assert goals[1]["status"] == "actief"  # the schema's default
    assert goals[1]["acties"][0]["wat"] == "Bellen"
    assert goals[1]["acties"][0]["wie"] == {"name": "Oma"}
    assert len({g["id"] for g in goals}) == 2
    assert updates["planMove"] == {"deleted": 0, "same": True}  # only `order` changed

    assert updates["added"] == {"words": ["a", "b", "c"], "orders": [0, 1, 2]}
    gap = updates["gap"]
    assert gap["wrong"] == 0 and gap["renumbered"] >= 1 and gap["length"] == 3
    afspraken = Doc()
    afspraken.apply_update(base64.b64decode(updates["afspraken"]))
    read = read_document("veiligheid", afspraken)["afspraken"]
    assert [a["afspraak"] for a in read] == gap["expected"]

    perspectief = Doc()
    perspectief.apply_update(base64.b64decode(updates["perspectief"]))
    card = read_document("perspectief", perspectief)["domein"]["steun"]
    assert card["huidige_situatie"] == "Goed"
    assert card["schaal_jongere"] == 8


SOFT_DELETE_SCRIPT = r"""
import * as Y from 'yjs'
import {
  newItem, addItem, moveItem, softDelete, restoreItem, activeCount, liveItems
} from './frontend/src/model.js'
const schema = JSON.parse(process.argv[1])
const block = schema.sections.plan.blocks.find((b) => b.key === 'doelen')
const doc = new Y.Doc({ gc: false })
const doelen = doc.getArray('doelen')
const goals = ['Een', 'Twee', 'Drie'].map((words) => {
  const goal = newItem(block.item)
  addItem(doelen, goal)
  goal.get('doel').insert(0, words)
  return goal
})
let removed = 0
doelen.observe((event) => { removed += event.changes.deleted.size })
softDelete(goals[1], 12)
goals[1].get('doel').insert(4, ' en nog wat') // typed into it after the delete
const active = activeCount(block, doelen)
moveItem(doelen, goals[2], -1) // past the deleted one: now first among the live goals
const live = liveItems(doelen).map(({ item }) => item.get('doel').toString())
const deleted = Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64')
restoreItem(goals[1])
const restored = Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64')
console.log(JSON.stringify({ removed, active, live, deleted, restored }))
"""


@pytest.mark.node
def test_the_browser_model_deletes_softly_and_puts_back_whole() -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "yjs").exists():
        pytest.skip("node and the npm packages are needed (make node-deps)")
    result = subprocess.run(
        [node, "--input-type=module", "-e", SOFT_DELETE_SCRIPT, json.dumps(load_schema())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = json.loads(result.stdout)
    assert out["removed"] == 0  # nothing left the array
    assert out["active"] == 2  # the deleted goal does not count as active
    assert out["live"] == ["Drie", "Een"]

    deleted = Doc()
    deleted.apply_update(base64.b64decode(out["deleted"]))
    assert [g["doel"] for g in read_document("plan", deleted)["doelen"]] == ["Drie", "Een"]
    [gone] = deleted_items("plan", deleted)
    assert gone["item"]["doel"] == "Twee en nog wat" and gone["verwijderd_door"] == 12

    restored = Doc()
    restored.apply_update(base64.b64decode(out["restored"]))
    goals = read_document("plan", restored)["doelen"]
    assert [g["doel"] for g in goals] == ["Drie", "Een", "Twee en nog wat"]
    assert deleted_items("plan", restored) == []

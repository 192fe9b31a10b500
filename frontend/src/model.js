// The document model: how the schema (app/crdt/schema.json) maps onto Yjs shared types.
// Pure Yjs, no DOM, so the Python schema test can run it in Node as well.
import * as Y from 'yjs'

/** Origin of the changes a person makes in this editor: the undo manager (undo.js) tracks it. */
export const LOCAL = { name: 'local-edit' }
/** Origin of adding an item: not undone by Ctrl+Z, since taking a new item away again would take
 * with it whatever others typed into it meanwhile (delete it instead: that is soft). */
export const ADD = { name: 'add-item' }

/** Soft delete (see schema.json): the day an item was deleted and who did it. */
export const DELETED_AT = 'verwijderd_op'
export const DELETED_BY = 'verwijderd_door'
/** How long a deleted item is listed under "Verwijderd" (KEEP_DELETED_DAYS in schema.py). */
export const KEEP_DELETED_DAYS = 30

/** A stable random id for a list item. */
export const newId = () => {
  const bytes = new Uint8Array(9)
  globalThis.crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Root names of a block: one per group, or just the block key. */
export const blockRoots = (block, optionLists) => {
  if (!block.groups) return [{ root: block.key, group: null }]
  return optionLists[block.groups].map((o) => ({ root: `${block.key}.${o.value}`, group: o }))
}

/** The root shared type of a block root name. */
export const rootType = (doc, block, root) => {
  switch (block.kind) {
    case 'text': return doc.getText(root)
    case 'list': return doc.getArray(root)
    case 'record': return doc.getMap(root)
    case 'per_participant': return doc.getMap(root)
    default: throw new Error(`unknown block kind ${block.kind}`)
  }
}

/** Every root shared type of a section's document (what an undo manager follows). */
export const sectionRoots = (doc, sectionSchema, optionLists) => {
  const types = []
  for (const block of sectionSchema.blocks) {
    for (const { root } of blockRoots(block, optionLists)) {
      types.push(rootType(doc, block, root))
      if (block.kind === 'record') {
        for (const field of block.fields) {
          if (field.kind === 'text' || field.kind === 'line') types.push(recordText(doc, root, field))
        }
      }
    }
  }
  return types
}

/** The Y.Text of a text field of a record block (a root of its own, see schema.json). */
export const recordText = (doc, root, field) => doc.getText(`${root}.${field.key}`)

/** A new list item (Y.Map) with every nested shared type created at once. Until it is inserted
 * into the document, `item.get()` returns nothing: pass your own `id` when you need to know it. */
export const newItem = (itemSchema, id = newId()) => {
  const item = new Y.Map()
  item.set('id', id)
  for (const field of itemSchema.fields) {
    switch (field.kind) {
      case 'text':
      case 'line':
        item.set(field.key, new Y.Text())
        break
      case 'refs':
        item.set(field.key, new Y.Array())
        break
      case 'list':
        item.set(field.key, new Y.Array())
        break
      case 'person':
        item.set(`${field.key}_naam`, new Y.Text())
        break
      default:
        if (field.default !== undefined) item.set(field.key, field.default)
    }
  }
  return item
}

/** A new per-participant entry (Y.Map) with its texts. */
export const newEntry = (fields) => newItem({ fields })

/** The place of an item in its list: its numeric `order` when it has one, otherwise its index
 * in the Y.Array (so documents from before `order` read as they always did). Same rule as
 * `_sort_key` in app/crdt/schema.py. */
const placeOf = (item, index) => {
  const value = item.get('order')
  // a whole number written by the server (pycrdt) arrives as a BigInt
  const order = typeof value === 'bigint' ? Number(value) : value
  return typeof order === 'number' && Number.isFinite(order) ? order : index
}

/** Items of a list in reading order: sorted by place, ties by array index (which is unique in
 * one array, so the id never has to break a tie). Of items sharing an id (an old concurrent move
 * could duplicate one) only the first in the array counts. Each entry: {item, index, id, place}. */
export const listItems = (array) => {
  const seen = new Set()
  const items = []
  array.toArray().forEach((item, index) => {
    if (!(item instanceof Y.Map)) return
    const id = item.get('id')
    if (typeof id !== 'string' || seen.has(id)) return
    seen.add(id)
    items.push({ item, index, id, place: placeOf(item, index) })
  })
  return items.sort((a, b) => a.place - b.place || a.index - b.index || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** Give every item without an `order` its current place as `order` (call inside a transaction).
 * Once one item has an order, deleting an item that has none would shift the places of the
 * others past it; writing them down keeps the list as it reads now. */
const settleOrders = (items) => {
  for (const { item, place } of items) {
    if (item.get('order') !== place) item.set('order', place)
  }
}

/** Add `item` (a new Y.Map from newItem) at the end of the list. */
export const addItem = (array, item, origin = ADD) => {
  array.doc.transact(() => {
    const items = listItems(array)
    settleOrders(items)
    item.set('order', items.length ? Math.max(...items.map((v) => v.place)) + 1 : 0)
    array.push([item])
  }, origin)
}

/** Whether a list item is soft-deleted (same rule as `is_deleted` in schema.py). */
export const isDeleted = (item) => {
  const value = item.get(DELETED_AT)
  return typeof value === 'string' && value !== ''
}

/** Today as YYYY-MM-DD in the person's own time zone. */
export const today = (now = new Date()) => {
  const pad = (n) => String(n).padStart(2, '0')
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`
}

/** Whole days from the day `day` (YYYY-MM-DD) to `now`; null when `day` is not a date. */
export const daysSince = (day, now = new Date()) => {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '')
  if (!match) return null
  const then = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))
  const todayUtc = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate())
  return Math.round((todayUtc - then) / 86400000)
}

/** Delete an item softly: it stays in its list (with everything in it) and is marked. */
export const softDelete = (item, by, origin = LOCAL) => {
  item.doc.transact(() => {
    item.set(DELETED_AT, today())
    item.set(DELETED_BY, by === null || by === undefined ? '' : String(by))
  }, origin)
}

/** Put a soft-deleted item back, whole, at its old place. */
export const restoreItem = (item, origin = LOCAL) => {
  item.doc.transact(() => {
    item.delete(DELETED_AT)
    item.delete(DELETED_BY)
  }, origin)
}

/** The items that are not deleted, in reading order (as listItems). */
export const liveItems = (array) => listItems(array).filter(({ item }) => !isDeleted(item))

/** The deleted items still listed under "Verwijderd" (deleted at most KEEP_DELETED_DAYS ago;
 * an item with a date that cannot be read is listed too, to be safe). */
export const recentlyDeletedItems = (array, now = new Date()) =>
  listItems(array).filter(({ item }) => {
    if (!isDeleted(item)) return false
    const days = daysSince(item.get(DELETED_AT), now)
    return days === null || days <= KEEP_DELETED_DAYS
  })

/** Move `item` one place up (step -1) or down (step 1) in the reading order.
 * Yjs has no move, and delete + insert of a copy would lose what someone types in the item at
 * that moment: only the item's `order` changes, to a number between its new neighbours. When
 * they are too close together for that (float precision) the whole list is renumbered. */
export const moveItem = (array, item, step, origin = LOCAL) => {
  // deleted items keep their places among the others, out of sight: the move is among the
  // live ones, and the deleted ones keep their numbers so they come back where they were
  const all = listItems(array)
  const items = all.filter(({ item: each }) => !isDeleted(each))
  const from = items.findIndex((v) => v.item === item)
  const to = from + step
  if (from < 0 || to < 0 || to >= items.length || to === from) return false
  const rest = items.filter((_, n) => n !== from)
  // after removing the item, its new neighbours are rest[to - 1] and rest[to]
  const before = rest[to - 1]
  const after = rest[to]
  const order = !before ? after.place - 1
    : !after ? before.place + 1
      : before.place + (after.place - before.place) / 2
  const fits = (!before || before.place < order) && (!after || order < after.place)
  array.doc.transact(() => {
    if (fits) {
      settleOrders(all.filter((v) => v.item !== item))
      item.set('order', order)
    } else {
      // renumber everything, deleted items too, with the moved item next to its neighbour
      const sequence = all.filter((v) => v.item !== item)
      const at = after ? sequence.indexOf(after) : sequence.indexOf(before) + 1
      sequence.splice(at, 0, items[from])
      sequence.forEach(({ item: each }, n) => { if (each.get('order') !== n) each.set('order', n) })
    }
  }, origin)
  return true
}

/** Whether an item counts as active for a `max_active` list. */
export const isActive = (block, item) =>
  Boolean(block.active_field) && block.active_values.includes(item.get(block.active_field))

/** How many items of the list are active (a deleted item does not count). */
export const activeCount = (block, array) =>
  liveItems(array).filter(({ item }) => isActive(block, item)).length

/** Short one-line label of an item: its first text field. */
export const itemSummary = (itemSchema, item, max = 80) => {
  const field = itemSchema.fields.find((f) => f.kind === 'text' || f.kind === 'line')
  const value = field ? item.get(field.key) : null
  const text = value instanceof Y.Text ? value.toString().replace(/\s+/g, ' ').trim() : ''
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

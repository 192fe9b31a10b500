// The document model: how the schema (app/crdt/schema.json) maps onto Yjs shared types.
// Pure Yjs, no DOM, so the Python schema test can run it in Node as well.
import * as Y from 'yjs'

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

/** Items of a list, first occurrence of each id only (a concurrent move can duplicate one). */
export const listItems = (array) => {
  const seen = new Set()
  const items = []
  array.toArray().forEach((item, index) => {
    if (!(item instanceof Y.Map)) return
    const id = item.get('id')
    if (typeof id !== 'string' || seen.has(id)) return
    seen.add(id)
    items.push({ item, index, id })
  })
  return items
}

/** Move the item at array index `from` so it ends up at index `to` (counted after removing it).
 * Yjs has no move: this deletes the item and inserts a deep copy, in one transaction. */
export const moveItem = (array, from, to, origin = null) => {
  array.doc.transact(() => {
    const copy = array.get(from).clone()
    array.delete(from, 1)
    array.insert(Math.max(0, Math.min(to, array.length)), [copy])
  }, origin)
}

/** Whether an item counts as active for a `max_active` list. */
export const isActive = (block, item) =>
  Boolean(block.active_field) && block.active_values.includes(item.get(block.active_field))

/** How many items of the list are active. */
export const activeCount = (block, array) =>
  listItems(array).filter(({ item }) => isActive(block, item)).length

/** Short one-line label of an item: its first text field. */
export const itemSummary = (itemSchema, item, max = 80) => {
  const field = itemSchema.fields.find((f) => f.kind === 'text' || f.kind === 'line')
  const value = field ? item.get(field.key) : null
  const text = value instanceof Y.Text ? value.toString().replace(/\s+/g, ' ').trim() : ''
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

// A list of records (zorgen, factoren, doelen, acties…): add, remove with undo, move up/down.
import * as Y from 'yjs'
import { h, heading } from './dom.js'
import { renderField, mapTarget } from './fields.js'
import { newId, newItem, addItem, listItems, moveItem, isActive, activeCount } from './model.js'

const REMOVE = { name: 'remove-item' }
const MOVE = { name: 'move-item' }

/**
 * Render the list in `array` (a Y.Array of Y.Map items following `itemSchema`).
 * `block` carries the optional `max_active` rule. Returns {el, destroy}.
 */
export const renderList = (ctx, { array, itemSchema, block = {}, path, level, label, where = null }) => {
  const editable = ctx.editable
  const itemsEl = h('ol', { class: 'items', role: 'list' })
  const empty = h('p', { class: 'empty muted' }, 'Hier staat nog niets.')
  const limitNote = h('p', { class: 'notice warn limit-note', hidden: true })
  const undoBar = h('div', { class: 'undo-bar', role: 'status' })
  const addButton = h('button', { type: 'button', class: 'button secondary add-item' },
    h('span', { 'aria-hidden': 'true' }, '+ '), itemSchema.add_label,
    // several lists with the same button (one per life area): say which one to screen readers
    where ? h('span', { class: 'visually-hidden' }, ` bij ${where}`) : null)
  const views = new Map() // Y.Map → {el, destroy, headingEl, upButton, downButton, removeButton, controls}
  const undo = new Y.UndoManager(array, { trackedOrigins: new Set([REMOVE]), captureTimeout: 0 })
  let focusAfterRender = null

  const renderItem = (item) => {
    const id = item.get('id')
    const headingEl = heading(level, '')
    const fields = []
    const controls = {}
    for (const field of itemSchema.fields) {
      const fieldPath = `${path}/${id}/${field.key}`
      if (field.kind === 'list') {
        const nested = item.get(field.key)
        if (!(nested instanceof Y.Array)) continue
        const view = renderList(ctx, {
          array: nested, itemSchema: field.item, path: fieldPath, level: level + 2, label: field.label
        })
        fields.push(view)
      } else {
        const view = renderField(ctx, field, mapTarget(item), fieldPath)
        controls[field.key] = view.control
        fields.push(view)
      }
    }
    const upButton = h('button', { type: 'button', class: 'button secondary small' },
      h('span', { 'aria-hidden': 'true' }, '↑'), h('span', { class: 'word' }, ' Omhoog'))
    const downButton = h('button', { type: 'button', class: 'button secondary small' },
      h('span', { 'aria-hidden': 'true' }, '↓'), h('span', { class: 'word' }, ' Omlaag'))
    const removeButton = h('button', { type: 'button', class: 'button danger small' }, 'Verwijderen')
    upButton.addEventListener('click', () => move(item, -1, 'up'))
    downButton.addEventListener('click', () => move(item, 1, 'down'))
    removeButton.addEventListener('click', () => remove(item))
    const tools = editable
      ? h('div', { class: 'item-tools' }, upButton, downButton, removeButton)
      : null
    // the tools sit next to the heading, so they stay near for items with long nested lists
    const el = h('li', { class: 'item', dataset: { id } },
      h('div', { class: 'item-head' }, headingEl, tools), fields.map((f) => f.el))
    return {
      el, headingEl, upButton, downButton, removeButton, controls,
      destroy: () => fields.forEach((f) => f.destroy())
    }
  }

  const indexOf = (item) => array.toArray().indexOf(item)

  const move = (item, step, which) => {
    focusAfterRender = { id: item.get('id'), which }
    // only the item's `order` changes: someone typing in it at this moment keeps their words
    if (!moveItem(array, item, step, MOVE)) focusAfterRender = null
  }

  const remove = (item) => {
    const index = indexOf(item)
    if (index < 0) return
    const number = listItems(array).findIndex((v) => v.item === item) + 1
    undo.stopCapturing()
    array.doc.transact(() => array.delete(index, 1), REMOVE)
    const undoButton = h('button', { type: 'button', class: 'button secondary small' }, 'Ongedaan maken')
    undoButton.addEventListener('click', () => {
      undo.undo()
      undoBar.replaceChildren(`${itemSchema.label} ${number} is teruggezet.`)
    })
    undoBar.replaceChildren(`${itemSchema.label} ${number} is verwijderd. `, undoButton)
    undoButton.focus()
  }

  const add = () => {
    const id = newId()
    const item = newItem(itemSchema, id)
    if (block.max_active && block.active_field && activeCount(block, array) >= block.max_active) {
      const waiting = ctx.optionLists[itemSchema.fields.find((f) => f.key === block.active_field).options]
        .find((o) => !block.active_values.includes(o.value))
      if (waiting) item.set(block.active_field, waiting.value)
    }
    focusAfterRender = { id, which: 'first-field' }
    addItem(array, item)
  }
  addButton.addEventListener('click', add)

  const updateLimit = () => {
    if (!block.max_active) return
    const count = activeCount(block, array)
    const full = count >= block.max_active
    limitNote.hidden = !full
    limitNote.textContent = count > block.max_active
      ? `Er zijn nu ${count} doelen waar jullie aan werken. Dat zijn er te veel: kies er hoogstens ${block.max_active}.`
      : `Jullie werken al aan ${block.max_active} doelen. Een nieuw doel krijgt ‘Wacht nog’. Zet eerst een ander doel op gehaald, gestopt of wachten.`
    for (const [item, view] of views) {
      const select = view.controls[block.active_field]
      if (!select) continue
      for (const option of select.options) {
        if (block.active_values.includes(option.value)) option.disabled = full && !isActive(block, item)
      }
    }
  }

  const reconcile = () => {
    const visible = listItems(array)
    const keep = new Set(visible.map((v) => v.item))
    for (const [item, view] of views) {
      if (!keep.has(item)) { view.destroy(); view.el.remove(); views.delete(item) }
    }
    // moving a node takes the focus away from the field inside it: someone typing in an item
    // that another person moves keeps typing in it
    const active = itemsEl.contains(document.activeElement) ? document.activeElement : null
    const selection = active && typeof active.selectionStart === 'number'
      ? [active.selectionStart, active.selectionEnd, active.selectionDirection] : null
    visible.forEach(({ item }, n) => {
      let view = views.get(item)
      if (!view) { view = renderItem(item); views.set(item, view) }
      // only move nodes that are out of place: moving a node blurs the field you type in
      if (itemsEl.children[n] !== view.el) itemsEl.insertBefore(view.el, itemsEl.children[n] || null)
      const title = `${itemSchema.label} ${n + 1}`
      if (view.headingEl.textContent !== title) view.headingEl.textContent = title
      view.upButton.disabled = n === 0
      view.downButton.disabled = n === visible.length - 1
      view.upButton.setAttribute('aria-label', `${title} omhoog zetten`)
      view.downButton.setAttribute('aria-label', `${title} omlaag zetten`)
      view.removeButton.setAttribute('aria-label', `${title} verwijderen`)
    })
    if (active && active.isConnected && document.activeElement !== active) {
      active.focus({ preventScroll: true })
      if (selection) active.setSelectionRange(...selection)
    }
    empty.hidden = visible.length > 0
    updateLimit()
    if (focusAfterRender) {
      const { id, which } = focusAfterRender
      focusAfterRender = null
      const entry = visible.find((v) => v.id === id)
      const view = entry && views.get(entry.item)
      if (view) {
        const target = which === 'up' ? (view.upButton.disabled ? view.downButton : view.upButton)
          : which === 'down' ? (view.downButton.disabled ? view.upButton : view.downButton)
            : view.el.querySelector('textarea, input, select')
        target?.focus()
      }
    }
  }

  // items added or removed, or an item's `order` changed (a move): put the list in order again
  const reordered = (e) => e.target === array ||
    (e.target.parent === array && e.keysChanged?.has('order'))
  const onDeep = (events) => {
    if (events.some(reordered)) reconcile()
    else updateLimit()
  }
  array.observeDeep(onDeep)
  reconcile()

  const el = h('div', { class: 'list', dataset: { path } },
    label ? heading(level - 1, label) : null,
    itemsEl, empty, limitNote, undoBar, editable ? addButton : null)
  return {
    el,
    destroy: () => {
      array.unobserveDeep(onDeep)
      undo.destroy()
      for (const view of views.values()) view.destroy()
    }
  }
}

// A list of records (zorgen, factoren, doelen, acties…): add, move up/down, delete softly and
// put back. A deleted item stays in the document (see schema.json) and waits under
// "Verwijderd" for 30 days; someone typing in it when another person deletes it keeps it, and
// their focus, until they leave it.
import * as Y from 'yjs'
import { h, heading } from './dom.js'
import { renderField, mapTarget } from './fields.js'
import {
  DELETED_AT, DELETED_BY, KEEP_DELETED_DAYS, newId, newItem, addItem, listItems, moveItem,
  isActive, activeCount, isDeleted, softDelete, restoreItem, recentlyDeletedItems, itemSummary
} from './model.js'

const DATE = new Intl.DateTimeFormat('nl-NL', { day: 'numeric', month: 'long' })
const DATE_WITH_YEAR = new Intl.DateTimeFormat('nl-NL', { day: 'numeric', month: 'long', year: 'numeric' })

/** "3 maart" (this year) or "3 maart 2025"; '' when `day` is not a date. */
const dayText = (day) => {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '')
  if (!match) return ''
  const when = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]))
  return (when.getFullYear() === new Date().getFullYear() ? DATE : DATE_WITH_YEAR).format(when)
}

/** Who deleted an item, as a name for a sentence (null when nobody is recorded). */
const deleterName = (ctx, item) => {
  const by = item.get(DELETED_BY)
  if (typeof by !== 'string' || by === '') return null
  const person = ctx.participants.find((p) => String(p.id) === by)
  return person ? person.name : 'iemand die niet meer meedoet'
}

const isMe = (ctx, item) => ctx.me.participant_id !== null &&
  item.get(DELETED_BY) === String(ctx.me.participant_id)

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
  const deletedSummary = h('summary', {})
  const deletedList = h('ul', { class: 'deleted-list' })
  const deletedEl = h('details', { class: 'deleted-items', hidden: true },
    deletedSummary,
    h('p', { class: 'hint' },
      `Wat iemand verwijdert, staat hier nog ${KEEP_DELETED_DAYS} dagen. Zet het terug als het toch moet blijven. Daarna zie je het hier niet meer.`),
    deletedList)
  const views = new Map() // Y.Map → {el, destroy, headingEl, tools, notice, upButton, downButton, removeButton, controls, title, pinned}
  const deletedRows = new Map() // Y.Map → {row, text, meta, button}
  // items deleted on this page: the person who deleted one is done with it
  const removedHere = new Set()
  let barItem = null
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
    // told at once when someone else deletes the item this person is typing in
    const notice = h('div', { class: 'item-deleted-notice', role: 'alert' })
    // the tools sit next to the heading, so they stay near for items with long nested lists
    const el = h('li', { class: 'item', dataset: { id } },
      h('div', { class: 'item-head' }, headingEl, tools), notice, fields.map((f) => f.el))
    return {
      el, headingEl, tools, notice, upButton, downButton, removeButton, controls,
      title: '', pinned: false,
      destroy: () => fields.forEach((f) => f.destroy())
    }
  }

  const move = (item, step, which) => {
    focusAfterRender = { id: item.get('id'), which }
    // only the item's `order` changes: someone typing in it at this moment keeps their words
    if (!moveItem(array, item, step)) focusAfterRender = null
  }

  const restoreButton = (item, name) => {
    const button = h('button', { type: 'button', class: 'button secondary small' },
      'Terugzetten', h('span', { class: 'visually-hidden' }, ` ${name}`))
    button.addEventListener('click', () => putBack(item))
    return button
  }

  const putBack = (item) => {
    if (!isDeleted(item)) return
    const summary = itemSummary(itemSchema, item, 60)
    focusAfterRender = { id: item.get('id'), which: 'first-field' }
    restoreItem(item)
    undoBar.replaceChildren(summary
      ? `${itemSchema.label} ‘${summary}’ is teruggezet.`
      : `${itemSchema.label} is teruggezet.`)
    barItem = null
  }

  const remove = (item) => {
    const number = listItems(array).filter((v) => !isDeleted(v.item)).findIndex((v) => v.item === item) + 1
    if (number < 1) return
    const title = `${itemSchema.label} ${number}`
    removedHere.add(item.get('id'))
    softDelete(item, ctx.me.participant_id)
    const button = restoreButton(item, title)
    undoBar.replaceChildren(
      `${title} is verwijderd. Je vindt het nog ${KEEP_DELETED_DAYS} dagen onder ‘Verwijderd’. `, button)
    barItem = item
    button.focus()
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
    ctx.onAdded?.(item, itemSchema.label, addButton)
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

  /** Start or end "deleted while you were in it" for one shown item. */
  const setPinned = (item, view, pinned) => {
    if (view.pinned === pinned) return
    view.pinned = pinned
    view.el.classList.toggle('is-deleted', pinned)
    if (view.tools) view.tools.hidden = pinned
    if (!pinned) {
      view.notice.replaceChildren()
      return
    }
    const who = isMe(ctx, item) ? 'Je hebt' : `${deleterName(ctx, item) || 'Iemand'} heeft`
    view.notice.replaceChildren(
      h('p', {}, `${who} ${view.title} verwijderd. Wat je typt, blijft bewaard. Als je hier weggaat, vind je het ${KEEP_DELETED_DAYS} dagen onder ‘Verwijderd’.`),
      editable ? restoreButton(item, view.title) : null)
  }

  const renderDeleted = () => {
    if (!editable) return
    const shown = recentlyDeletedItems(array).filter(({ item }) => !views.get(item)?.pinned)
    const keep = new Set(shown.map((v) => v.item))
    for (const [item, row] of deletedRows) {
      if (!keep.has(item)) { row.row.remove(); deletedRows.delete(item) }
    }
    shown.forEach(({ item }, n) => {
      let row = deletedRows.get(item)
      const summary = itemSummary(itemSchema, item, 120)
      const name = summary ? `${itemSchema.label} ‘${summary}’` : `${itemSchema.label} zonder tekst`
      if (!row) {
        const text = h('span', { class: 'deleted-text' })
        const meta = h('span', { class: 'deleted-meta muted' })
        const button = restoreButton(item, name)
        row = { row: h('li', {}, text, meta, button), text, meta, button, name }
        deletedRows.set(item, row)
      }
      const shownText = summary || `(${itemSchema.label} zonder tekst)`
      if (row.text.textContent !== shownText) row.text.textContent = shownText
      const who = deleterName(ctx, item)
      const when = dayText(item.get(DELETED_AT))
      const meta = `Verwijderd${when ? ` op ${when}` : ''}${who ? ` door ${who}` : ''}.`
      if (row.meta.textContent !== meta) row.meta.textContent = meta
      if (row.name !== name) {
        row.name = name
        row.button.lastChild.textContent = ` ${name}`
      }
      if (deletedList.children[n] !== row.row) deletedList.insertBefore(row.row, deletedList.children[n] || null)
    })
    deletedEl.hidden = shown.length === 0
    deletedSummary.textContent = `Verwijderd (${shown.length})`
  }

  const reconcile = () => {
    const all = listItems(array)
    const active = document.activeElement
    // an item deleted by someone else while this person is in it stays until they leave it
    const stays = ({ item, id }) => !isDeleted(item) ||
      (!removedHere.has(id) && Boolean(views.get(item)?.el.contains(active)))
    const visible = all.filter(stays)
    const keep = new Set(visible.map((v) => v.item))
    for (const [item, view] of views) {
      if (!keep.has(item)) { view.destroy(); view.el.remove(); views.delete(item) }
    }
    for (const { item, id } of all) if (!isDeleted(item)) removedHere.delete(id)
    // moving a node takes the focus away from the field inside it: someone typing in an item
    // that another person moves keeps typing in it
    const focused = itemsEl.contains(active) ? active : null
    const selection = focused && typeof focused.selectionStart === 'number'
      ? [focused.selectionStart, focused.selectionEnd, focused.selectionDirection] : null
    const liveCount = visible.filter(({ item }) => !isDeleted(item)).length
    let number = 0
    visible.forEach(({ item }, n) => {
      let view = views.get(item)
      if (!view) { view = renderItem(item); views.set(item, view) }
      // only move nodes that are out of place: moving a node blurs the field you type in
      if (itemsEl.children[n] !== view.el) itemsEl.insertBefore(view.el, itemsEl.children[n] || null)
      if (isDeleted(item)) {
        setPinned(item, view, true)
        return
      }
      setPinned(item, view, false)
      number++
      const title = `${itemSchema.label} ${number}`
      view.title = title
      if (view.headingEl.textContent !== title) view.headingEl.textContent = title
      view.upButton.disabled = number === 1
      view.downButton.disabled = number === liveCount
      view.upButton.setAttribute('aria-label', `${title} omhoog zetten`)
      view.downButton.setAttribute('aria-label', `${title} omlaag zetten`)
      view.removeButton.setAttribute('aria-label', `${title} verwijderen`)
    })
    if (focused && focused.isConnected && document.activeElement !== focused) {
      focused.focus({ preventScroll: true })
      if (selection) focused.setSelectionRange(...selection)
    }
    empty.hidden = visible.length > 0
    if (barItem && !isDeleted(barItem)) {
      undoBar.replaceChildren()
      barItem = null
    }
    updateLimit()
    renderDeleted()
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

  // items added or removed, deleted or put back, or an item's `order` changed (a move): put the
  // list in order again; anything else may change a summary under "Verwijderd"
  const LIST_KEYS = ['order', DELETED_AT, DELETED_BY]
  const reordered = (e) => e.target === array ||
    (e.target.parent === array && LIST_KEYS.some((key) => e.keysChanged?.has(key)))
  let frame = 0
  const onDeep = (events) => {
    if (events.some(reordered)) reconcile()
    else {
      updateLimit()
      if (!frame) frame = requestAnimationFrame(() => { frame = 0; renderDeleted() })
    }
  }
  array.observeDeep(onDeep)
  // leaving an item that was deleted while you were in it: now it goes to "Verwijderd"
  const onFocusOut = () => requestAnimationFrame(() => {
    for (const view of views.values()) {
      if (view.pinned && !view.el.contains(document.activeElement)) { reconcile(); return }
    }
  })
  itemsEl.addEventListener('focusout', onFocusOut)
  reconcile()

  const el = h('div', { class: 'list', dataset: { path } },
    label ? heading(level - 1, label) : null,
    itemsEl, empty, limitNote, undoBar, editable ? addButton : null, editable ? deletedEl : null)
  return {
    el,
    destroy: () => {
      array.unobserveDeep(onDeep)
      itemsEl.removeEventListener('focusout', onFocusOut)
      if (frame) cancelAnimationFrame(frame)
      for (const view of views.values()) view.destroy()
    }
  }
}

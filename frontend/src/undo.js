// Undo and redo for one person: Yjs' UndoManager over the whole document, tracking only the
// changes made on this page (origin LOCAL, or a TextBinding for typing), never those of the
// server or of others, so it keeps working when others edit around you. Typing is grouped by
// word: a step ends after a space, a punctuation mark or a new line, when you move to another
// field or move the caret, and after a pause.
import * as Y from 'yjs'
import { h } from './dom.js'
import { ADD, LOCAL, isDeleted, softDelete } from './model.js'
import { TextBinding } from './text-binding.js'
import { fieldLabel } from './presence.js'

// a word typed slower than this becomes two steps; mostly the word boundaries decide
const WORD_PAUSE = 3000
const WORD_END = /[\s.,!?;:)]$/
const CARET_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown'])
const isTextControl = (el) => el instanceof HTMLTextAreaElement ||
  (el instanceof HTMLInputElement && ['text', 'number', 'search', ''].includes(el.type))

/**
 * Start undo/redo for `doc` over the root types in `scope`. The buttons go right after `placeAfter`; the
 * keyboard works anywhere in `editorEl`; `announce(text)` tells screen readers what happened.
 * Returns {manager, lock, destroy}.
 */
export const startUndo = ({ scope, me, root, editorEl, placeAfter, announce }) => {
  const manager = new Y.UndoManager(scope, {
    trackedOrigins: new Set([LOCAL, TextBinding]),
    captureTimeout: WORD_PAUSE
  })
  let locked = false
  let running = false

  const undoButton = h('button', {
    type: 'button', class: 'button secondary small undo-button', 'aria-keyshortcuts': 'Control+Z Meta+Z'
  }, h('span', { 'aria-hidden': 'true' }, '↶'), h('span', { class: 'word' }, ' Ongedaan maken'))
  const redoButton = h('button', {
    type: 'button', class: 'button secondary small undo-button', 'aria-keyshortcuts': 'Control+Shift+Z Control+Y Meta+Shift+Z'
  }, h('span', { 'aria-hidden': 'true' }, '↷'), h('span', { class: 'word' }, ' Opnieuw'))
  const tools = h('div', { class: 'undo-tools', role: 'group', 'aria-label': 'Je eigen wijzigingen' }, undoButton, redoButton)
  placeAfter.after(tools)

  const update = () => {
    undoButton.disabled = locked || (!manager.canUndo() && !added.length)
    redoButton.disabled = locked || !manager.canRedo()
  }

  // remember where each step was made, to say so (and go there) when it is undone
  manager.on('stack-item-added', ({ stackItem }) => {
    const field = document.activeElement?.closest?.('[data-path]')
    if (!running && field && root.contains(field)) {
      stackItem.meta.set('path', field.dataset.path)
      stackItem.meta.set('label', fieldLabel(field))
    }
    update()
  })
  manager.on('stack-item-updated', update)
  manager.on('stack-cleared', update)

  // Items this person added, with how many undo steps there were at that moment. Adding is not
  // an undo step of its own (taking an item away could take others' words with it), but once
  // every step made after it is undone, the next Ctrl+Z takes the new item away softly: it goes
  // to "Verwijderd", whole, and can be put back.
  const added = []
  const rememberAdded = (item, label, addButton) => {
    manager.stopCapturing()
    added.push({ item, label, addButton, depth: manager.undoStack.length })
    update()
  }
  const undoAdding = () => {
    while (added.length && added.at(-1).depth > manager.undoStack.length) added.pop()
    const last = added.at(-1)
    if (!last || last.depth !== manager.undoStack.length) return false
    added.pop()
    if (!last.item.doc || isDeleted(last.item)) return undoAdding()
    softDelete(last.item, me?.participant_id, ADD)
    // what could be redone was typed into that item: it stays there, put back with it
    manager.clear(false, true)
    last.addButton?.focus()
    announce(`Ongedaan gemaakt: het nieuwe ${last.label.toLowerCase()} is weggehaald. Je vindt het onder 'Verwijderd'.`)
    update()
    return true
  }

  const run = (action) => {
    if (locked) return
    manager.stopCapturing()
    if (action === 'undo' && undoAdding()) return
    running = true
    let item = null
    try {
      item = action === 'undo' ? manager.undo() : manager.redo()
    } finally {
      running = false
    }
    // the step that can now be redone (or undone again) was made in the same field
    const opposite = (action === 'undo' ? manager.redoStack : manager.undoStack).at(-1)
    if (item && opposite) item.meta.forEach((value, key) => opposite.meta.set(key, value))
    update()
    if (!item) {
      announce(action === 'undo' ? 'Er is niets meer om ongedaan te maken.' : 'Er is niets om opnieuw te doen.')
      return
    }
    const label = item.meta.get('label')
    const done = action === 'undo' ? 'Ongedaan gemaakt' : 'Opnieuw gedaan'
    announce(label ? `${done}: ${label}${/[.?!]$/.test(label) ? '' : '.'}` : `${done}.`)
    // someone working with the keyboard in a text field goes along to the field that changed
    const path = item.meta.get('path')
    const field = path ? [...root.querySelectorAll('[data-path]')].find((el) => el.dataset.path === path) : null
    if (!field) return
    const control = field.querySelector('textarea, input, select')
    if (isTextControl(document.activeElement) && control && control !== document.activeElement &&
      !field.contains(document.activeElement)) {
      control.focus()
    } else {
      field.scrollIntoView({ block: 'nearest' })
    }
  }
  undoButton.addEventListener('click', () => run('undo'))
  redoButton.addEventListener('click', () => run('redo'))

  const onKey = (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return
    if (!editorEl.contains(event.target) && event.target !== document.body) return
    const key = event.key.toLowerCase()
    const action = key === 'z' ? (event.shiftKey ? 'redo' : 'undo')
      : key === 'y' && !event.shiftKey ? 'redo' : null
    if (!action) return
    // the browser's own undo of a field knows nothing of the shared document
    event.preventDefault()
    run(action)
  }
  const onBeforeInput = (event) => {
    if (event.inputType !== 'historyUndo' && event.inputType !== 'historyRedo') return
    event.preventDefault()
    run(event.inputType === 'historyUndo' ? 'undo' : 'redo')
  }

  // where one step ends and the next begins
  let last = { target: null, kind: null }
  const kindOf = (event) => {
    const type = event.inputType || ''
    if (type.startsWith('delete')) return 'delete'
    if (type === 'insertText' || type === 'insertCompositionText') return 'type'
    return type || 'change'
  }
  const beforeChange = (event) => {
    const kind = kindOf(event)
    if (event.target !== last.target || kind !== last.kind || (kind !== 'type' && kind !== 'delete')) {
      manager.stopCapturing()
    }
    last = { target: event.target, kind }
  }
  const afterChange = (event) => {
    const kind = kindOf(event)
    if ((kind === 'type' && WORD_END.test(event.data || '')) || (kind !== 'type' && kind !== 'delete')) {
      manager.stopCapturing()
    }
  }
  const newStep = () => {
    manager.stopCapturing()
    last = { target: null, kind: null }
  }
  const onKeyDown = (event) => { if (CARET_KEYS.has(event.key)) newStep() }

  document.addEventListener('keydown', onKey)
  root.addEventListener('beforeinput', onBeforeInput)
  root.addEventListener('input', beforeChange, true)
  root.addEventListener('input', afterChange)
  root.addEventListener('change', afterChange)
  root.addEventListener('focusin', newStep)
  root.addEventListener('pointerdown', newStep, true)
  root.addEventListener('keydown', onKeyDown, true)
  update()

  return {
    manager,
    rememberAdded,
    lock: () => { locked = true; update() },
    destroy: () => {
      document.removeEventListener('keydown', onKey)
      root.removeEventListener('beforeinput', onBeforeInput)
      root.removeEventListener('input', beforeChange, true)
      root.removeEventListener('input', afterChange)
      root.removeEventListener('change', afterChange)
      root.removeEventListener('focusin', newStep)
      root.removeEventListener('pointerdown', newStep, true)
      root.removeEventListener('keydown', onKeyDown, true)
      manager.destroy()
      tools.remove()
    }
  }
}

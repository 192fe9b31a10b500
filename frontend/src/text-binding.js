// Binds a <textarea> or <input> to a Y.Text.
// Local typing becomes the smallest insert/delete around the caret (so concurrent typing
// merges), and remote edits shift the caret and selection instead of moving them to the end.
import * as Y from 'yjs'

const isHighSurrogate = (code) => code >= 0xd800 && code <= 0xdbff
const isLowSurrogate = (code) => code >= 0xdc00 && code <= 0xdfff

/**
 * The change from `before` to `after` as {index, remove, insert}. `caret` is where the caret is
 * after the change; it decides where a change inside repeated letters happened ("aa" → "aaa").
 */
export const diffText = (before, after, caret = after.length) => {
  const growth = after.length - before.length
  const maxPrefix = Math.min(before.length, after.length, Math.max(0, caret - Math.max(0, growth)))
  let prefix = 0
  while (prefix < maxPrefix && before[prefix] === after[prefix]) prefix++
  // never split a surrogate pair (an emoji is two UTF-16 units in both JS and Yjs)
  if (prefix > 0 && isHighSurrogate(before.charCodeAt(prefix - 1))) prefix--
  let suffix = 0
  const maxSuffix = Math.min(before.length, after.length) - prefix
  while (suffix < maxSuffix &&
    before[before.length - 1 - suffix] === after[after.length - 1 - suffix]) suffix++
  if (suffix > 0 && isLowSurrogate(before.charCodeAt(before.length - suffix))) suffix--
  return {
    index: prefix,
    remove: before.length - prefix - suffix,
    insert: after.slice(prefix, after.length - suffix)
  }
}

/** Where a caret at `pos` ends up after a Yjs text delta. A remote insert right at the caret
 * lands after it, so two people typing at the same spot each keep their own words together. */
export const shiftPosition = (pos, delta) => {
  let index = 0
  let result = pos
  for (const op of delta) {
    if (op.retain !== undefined) {
      index += op.retain
    } else if (op.insert !== undefined) {
      const length = typeof op.insert === 'string' ? op.insert.length : 1
      if (index < pos) result += length
      index += length
    } else if (op.delete !== undefined) {
      if (index < pos) result -= Math.min(op.delete, pos - index)
    }
    if (index >= pos) break
  }
  return result
}

/** Where the caret goes after an undo or redo of your own: at the end of what changed. */
export const endOfChange = (delta) => {
  let index = 0
  let end = null
  for (const op of delta) {
    if (op.retain !== undefined) index += op.retain
    else if (op.insert !== undefined) {
      index += typeof op.insert === 'string' ? op.insert.length : 1
      end = index
    } else if (op.delete !== undefined) end = index
  }
  return end
}

// Textareas grow with their text: by CSS (field-sizing: content, editor.css) where the browser
// can, else here, once the field is on the page (before that it has no height to measure).
const SIZES_ITSELF = typeof CSS !== 'undefined' && CSS.supports?.('field-sizing', 'content')

const autosize = (el) => {
  if (SIZES_ITSELF || el.tagName !== 'TEXTAREA' || !el.isConnected) return
  el.style.height = 'auto'
  el.style.height = `${el.scrollHeight + 4}px`
}

if (!SIZES_ITSELF && typeof window !== 'undefined') {
  let frame = 0
  window.addEventListener('resize', () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; document.querySelectorAll('.editor textarea').forEach(autosize) })
  })
}

/**
 * Keep `el` and a Y.Text in step. `get()` returns the Y.Text (or null while it does not exist yet);
 * `create(initial)` makes it, holding the typed text, when the first letter is typed.
 * Call `refresh()` when what `get()` returns may have changed; `destroy()` to stop.
 */
export class TextBinding {
  constructor (el, { get, create = null }) {
    this.el = el
    this.get = get
    this.create = create
    this.text = null
    this.onInput = () => this.push()
    this.onChange = (event) => {
      const origin = event.transaction.origin
      if (origin === this) return
      // an undo or redo is your own change coming back: the caret goes along with it
      this.pull(event.delta, origin instanceof Y.UndoManager)
    }
    el.addEventListener('input', this.onInput)
    this.refresh()
    requestAnimationFrame(() => autosize(el))
  }

  refresh () {
    const text = this.get()
    if (text === this.text) return
    if (this.text) this.text.unobserve(this.onChange)
    this.text = text
    if (text) text.observe(this.onChange)
    this.show(text ? text.toString() : '', null)
  }

  push () {
    if (this.el.readOnly || this.el.disabled) return
    const value = this.el.value
    if (!this.text) {
      if (!this.create || value === '') return
      const text = this.create(value, this)
      if (this.text !== text) {
        if (this.text) this.text.unobserve(this.onChange)
        this.text = text
        text.observe(this.onChange)
      }
      return
    }
    const text = this.text
    const before = text.toString()
    if (before === value) return
    const { index, remove, insert } = diffText(before, value, this.el.selectionEnd ?? value.length)
    const apply = () => {
      if (remove > 0) text.delete(index, remove)
      if (insert) text.insert(index, insert)
    }
    text.doc ? text.doc.transact(apply, this) : apply()
    autosize(this.el)
  }

  pull (delta, own = false) {
    this.show(this.text.toString(), delta, own)
  }

  show (value, delta, own = false) {
    const el = this.el
    if (el.value === value) return
    const focused = document.activeElement === el
    const start = el.selectionStart ?? 0
    const end = el.selectionEnd ?? 0
    const direction = el.selectionDirection
    el.value = value
    const caret = own && delta ? endOfChange(delta) : null
    if (focused && caret !== null) {
      el.setSelectionRange(caret, caret)
    } else if (focused) {
      const newStart = delta ? shiftPosition(start, delta) : Math.min(start, value.length)
      const newEnd = delta ? shiftPosition(end, delta) : Math.min(end, value.length)
      el.setSelectionRange(newStart, newEnd, direction || 'none')
    }
    autosize(el)
  }

  destroy () {
    this.el.removeEventListener('input', this.onInput)
    if (this.text) this.text.unobserve(this.onChange)
    this.text = null
  }
}

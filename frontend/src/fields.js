// One field of a record or list item, bound to its place in the Yjs document.
// A "target" says where the field lives: `map` (a Y.Map holding plain values) and
// `text(field)` (the Y.Text of a text field, or null until it exists) with optional
// `createText(field, initial)`.
import * as Y from 'yjs'
import { h, uid } from './dom.js'
import { TextBinding } from './text-binding.js'
import { LOCAL } from './model.js'
import { readField, refOptions } from './reading.js'

const describedBy = (...ids) => ids.filter(Boolean).join(' ') || null

const fieldShell = (ctx, field, path, control, { hintId, labelFor, legend = false }) => {
  const label = legend
    ? h('legend', { class: 'label' }, field.label)
    : h('label', { for: labelFor }, field.label)
  const hint = field.hint ? h('span', { class: 'hint', id: hintId }, field.hint) : null
  const markers = h('div', { class: 'presence-here', 'aria-hidden': 'true' })
  const tag = legend ? 'fieldset' : 'div'
  return h(tag, { class: `field field-${field.kind}`, dataset: { path, field: field.key } },
    label, hint, control, markers)
}

const canEdit = (ctx, field) =>
  ctx.editable && (!field.roles || field.roles.includes(ctx.me.role))

/** Keep a control in step with one key of a Y.Map. */
const watchKey = (map, keys, update) => {
  const observer = (event) => {
    if (keys.some((k) => event.keysChanged.has(k))) update()
  }
  map.observe(observer)
  update()
  return () => map.unobserve(observer)
}

const setOrDelete = (map, key, value) => {
  map.doc.transact(() => {
    if (value === null || value === undefined || value === '') map.delete(key)
    else map.set(key, value)
  }, LOCAL)
}

const textField = (ctx, field, target, path) => {
  const id = uid()
  const hintId = field.hint ? uid('h') : null
  const multiline = field.kind === 'text'
  const control = multiline
    ? h('textarea', { id, rows: 3, 'aria-describedby': describedBy(hintId) })
    : h('input', { id, type: 'text', 'aria-describedby': describedBy(hintId) })
  control.readOnly = !canEdit(ctx, field)
  const binding = new TextBinding(control, {
    get: () => target.text(field),
    create: target.createText ? (initial, origin) => target.createText(field, initial, origin) : null
  })
  const el = fieldShell(ctx, field, path, control, { hintId, labelFor: id })
  return { el, control, refresh: () => binding.refresh(), destroy: () => binding.destroy() }
}

const choiceField = (ctx, field, target, path) => {
  const id = uid()
  const hintId = field.hint ? uid('h') : null
  const select = h('select', { id, 'aria-describedby': describedBy(hintId) },
    h('option', { value: '' }, 'Kies…'),
    ctx.optionLists[field.options].map((o) => h('option', { value: o.value }, o.label)))
  select.disabled = !canEdit(ctx, field)
  select.addEventListener('change', () => setOrDelete(target.map, field.key, select.value))
  const stop = watchKey(target.map, [field.key], () => {
    const value = target.map.get(field.key)
    select.value = typeof value === 'string' ? value : ''
  })
  const el = fieldShell(ctx, field, path, select, { hintId, labelFor: id })
  return { el, control: select, destroy: stop }
}

const numberField = (ctx, field, target, path) => {
  const id = uid()
  const hintId = uid('h')
  const range = `Een getal van ${field.min} tot en met ${field.max}.`
  const input = h('input', {
    id, type: 'number', inputmode: 'numeric', min: field.min, max: field.max, step: 1,
    'aria-describedby': hintId
  })
  input.readOnly = !canEdit(ctx, field)
  const error = h('span', { class: 'field-error', role: 'alert' })
  const showError = (text) => {
    error.textContent = text
    if (text) input.setAttribute('aria-invalid', 'true')
    else input.removeAttribute('aria-invalid')
  }
  // Stored on every keystroke, like text: a value kept only until the field is left would be
  // lost by a reload or a closed tab right after typing it. A number stored on the way to one
  // that is not allowed (the "1" of "11", the "7" of "7,5") is taken back: what was stored
  // when this person started typing here stays until they type an allowed number.
  let before = target.map.get(field.key)
  let mine = false // the stored value is one this field wrote while typing
  const store = (value) => {
    setOrDelete(target.map, field.key, value)
    mine = true
  }
  input.addEventListener('focus', () => {
    before = target.map.get(field.key)
    mine = false
  })
  input.addEventListener('input', () => {
    if (input.readOnly) return
    if (input.value === '' && !input.validity.badInput) {
      showError('')
      store(null)
      return
    }
    const number = Number(input.value)
    if (input.value === '' || !Number.isInteger(number) || number < field.min || number > field.max) {
      // what was typed stays in the field, so it can be corrected
      showError(`Niet opgeslagen: vul een heel getal in van ${field.min} tot en met ${field.max}.`)
      if (mine) {
        setOrDelete(target.map, field.key, before ?? null)
        mine = false
      }
      return
    }
    showError('')
    if (target.map.get(field.key) !== number) store(number)
  })
  const stop = watchKey(target.map, [field.key], () => {
    const value = target.map.get(field.key)
    const shown = typeof value === 'number' ? String(Math.round(value)) : ''
    // while someone types here, a number that means the same ("07") or one still being
    // corrected stays as they typed it
    if (document.activeElement === input &&
      (error.textContent || (input.value !== '' && Number(input.value) === Number(shown)))) return
    input.value = shown
  })
  const hint = { ...field, hint: [field.hint, range].filter(Boolean).join(' ') }
  const el = fieldShell(ctx, hint, path, h('div', {}, input, error), { hintId, labelFor: id })
  return { el, control: input, destroy: stop }
}

const dateField = (ctx, field, target, path) => {
  const id = uid()
  const input = h('input', { id, type: 'date' })
  input.readOnly = !canEdit(ctx, field)
  // a date is stored as soon as it is complete; a half-typed one (badInput) keeps what is stored
  const store = () => {
    if (input.readOnly || input.validity.badInput) return
    if ((target.map.get(field.key) || '') !== input.value) setOrDelete(target.map, field.key, input.value)
  }
  input.addEventListener('input', store)
  input.addEventListener('change', store)
  const stop = watchKey(target.map, [field.key], () => {
    const value = target.map.get(field.key)
    if (document.activeElement === input && input.validity.badInput) return
    input.value = typeof value === 'string' ? value : ''
  })
  const el = fieldShell(ctx, field, path, input, { labelFor: id })
  return { el, control: input, destroy: stop }
}

const flagsField = (ctx, field, target, path) => {
  const boxes = ctx.optionLists[field.options].map((o) => {
    const id = uid()
    const box = h('input', { id, type: 'checkbox', value: o.value })
    box.disabled = !canEdit(ctx, field)
    box.addEventListener('change', () =>
      setOrDelete(target.map, `${field.key}.${o.value}`, box.checked ? true : null))
    return { box, row: h('div', { class: 'checkbox' }, box, h('label', { for: id }, o.label)), o }
  })
  const keys = boxes.map(({ o }) => `${field.key}.${o.value}`)
  const stop = watchKey(target.map, keys, () => {
    for (const { box, o } of boxes) box.checked = Boolean(target.map.get(`${field.key}.${o.value}`))
  })
  const el = fieldShell(ctx, field, path, h('div', {}, boxes.map((b) => b.row)), { legend: true })
  return { el, control: boxes[0]?.box, destroy: stop }
}

const personField = (ctx, field, target, path) => {
  const id = uid()
  const nameId = uid()
  const editable = canEdit(ctx, field)
  const select = h('select', { id },
    h('option', { value: '' }, 'Kies…'),
    ctx.participants.map((p) => h('option', { value: String(p.id) }, `${p.name} (${p.role_label})`)),
    h('option', { value: 'anders' }, 'Iemand anders…'))
  select.disabled = !editable
  const nameInput = h('input', { id: nameId, type: 'text', autocomplete: 'off' })
  nameInput.readOnly = !editable
  const nameRow = h('div', { class: 'field-sub' },
    h('label', { for: nameId }, 'Naam van die persoon'), nameInput)
  const nameKey = `${field.key}_naam`
  const binding = new TextBinding(nameInput, {
    get: () => {
      const text = target.map.get(nameKey)
      return text instanceof Y.Text ? text : null
    }
  })
  select.addEventListener('change', () => setOrDelete(target.map, field.key, select.value))
  const stop = watchKey(target.map, [field.key, nameKey], () => {
    const value = target.map.get(field.key)
    select.value = typeof value === 'string' && [...select.options].some((o) => o.value === value)
      ? value : ''
    nameRow.hidden = select.value !== 'anders'
    binding.refresh()
  })
  const el = fieldShell(ctx, field, path, h('div', {}, select, nameRow), { labelFor: id })
  return { el, control: select, destroy: () => { stop(); binding.destroy() } }
}

const refsField = (ctx, field, target, path) => {
  const list = h('div', { class: 'refs' })
  const empty = h('p', { class: 'hint' })
  const editable = canEdit(ctx, field)
  const boxes = new Map()
  const refsArray = () => {
    const value = target.map.get(field.key)
    return value instanceof Y.Array ? value : null
  }
  const chosen = () => new Set((refsArray()?.toArray() || []).filter((v) => typeof v === 'string'))
  const toggle = (id, on) => {
    const array = refsArray()
    if (!array) return
    array.doc.transact(() => {
      const values = array.toArray()
      if (on && !values.includes(id)) array.push([id])
      if (!on) {
        for (let i = values.length - 1; i >= 0; i--) if (values[i] === id) array.delete(i, 1)
      }
    }, LOCAL)
  }
  const render = () => {
    const found = refOptions(ctx, field.to)
    const selected = chosen()
    if (!found) {
      empty.textContent = 'Je kunt de analyse hier niet zien. Wat gekoppeld is, blijft bewaard.'
      list.replaceChildren()
      return
    }
    empty.textContent = found.options.length === 0
      ? `Er is nog niets om te kiezen. Vul eerst ‘${found.block.label}’ in.`
      : ''
    const seen = new Set()
    found.options.forEach(({ id, label }, index) => {
      seen.add(id)
      let entry = boxes.get(id)
      if (!entry) {
        const boxId = uid()
        const box = h('input', { id: boxId, type: 'checkbox', value: id })
        box.disabled = !editable
        box.addEventListener('change', () => toggle(id, box.checked))
        const text = h('label', { for: boxId })
        entry = { box, text, row: h('div', { class: 'checkbox' }, box, text) }
        boxes.set(id, entry)
      }
      if (entry.text.textContent !== label) entry.text.textContent = label
      entry.box.checked = selected.has(id)
      if (list.children[index] !== entry.row) list.insertBefore(entry.row, list.children[index] || null)
    })
    for (const [id, entry] of boxes) {
      if (!seen.has(id)) { entry.row.remove(); boxes.delete(id) }
    }
  }
  let frame = 0
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; render() })
  }
  // watch the lists we link to (in this or the linked document) and our own choice
  const source = field.to.doc ? ctx.linkedDocs[field.to.doc]?.doc : ctx.doc
  if (source) source.on('update', schedule)
  const stop = watchKey(target.map, [field.key], () => {
    refsArray()?.observe(schedule)
    render()
  })
  const el = fieldShell(ctx, field, path, h('div', {}, empty, list), { legend: true })
  return {
    el,
    control: list,
    destroy: () => {
      stop()
      refsArray()?.unobserve(schedule)
      if (source) source.off('update', schedule)
      if (frame) cancelAnimationFrame(frame)
    }
  }
}

const RENDERERS = {
  text: textField,
  line: textField,
  choice: choiceField,
  number: numberField,
  date: dateField,
  flags: flagsField,
  person: personField,
  refs: refsField
}

/** Follow everything that may change what a field shows (for the reading view). */
const watchValue = (ctx, field, target) => (update) => {
  const stops = []
  const map = target.map
  if (typeof map.observeDeep === 'function') {
    map.observeDeep(update)
    stops.push(() => map.unobserveDeep(update))
  } else {
    map.observe(update)
    stops.push(() => map.unobserve(update))
  }
  // a record's text fields are root types of their own
  const text = field.kind === 'text' || field.kind === 'line' ? target.text(field) : null
  if (text) {
    text.observe(update)
    stops.push(() => text.unobserve(update))
  }
  if (field.kind === 'refs') {
    const source = field.to.doc ? ctx.linkedDocs[field.to.doc]?.doc : ctx.doc
    source?.on('update', update)
    stops.push(() => source?.off('update', update))
  }
  return () => stops.forEach((stop) => stop())
}

/** Render one field (not a nested list) bound to `target`; returns {el, control, destroy}.
 * A field this person may not change is shown as text: a reading view, not a disabled form. */
export const renderField = (ctx, field, target, path) => {
  const render = RENDERERS[field.kind]
  if (!render) throw new Error(`unknown field kind ${field.kind}`)
  if (!canEdit(ctx, field)) return readField(ctx, field, target, path, watchValue(ctx, field, target))
  return render(ctx, field, target, path)
}

/** A target for the fields of a list item or per-participant entry (a Y.Map). */
export const mapTarget = (map) => ({
  map,
  text: (field) => {
    const value = map.get(field.key)
    return value instanceof Y.Text ? value : null
  }
})

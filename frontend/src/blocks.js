// The blocks of a section: free text, lists, records (Big Five cards) and per-participant answers.
import * as Y from 'yjs'
import { h, uid } from './dom.js'
import { renderField, mapTarget } from './fields.js'
import { renderList } from './lists.js'
import { LOCAL, blockRoots, recordText, newEntry } from './model.js'
import { TextBinding } from './text-binding.js'
import { readTextBlock } from './reading.js'

const hintOf = (block) => (block.hint ? h('p', { class: 'hint' }, block.hint) : null)

const textBlock = (ctx, block) => {
  if (!ctx.editable) return readTextBlock(block, ctx.doc.getText(block.key))
  const id = uid()
  const hintId = block.hint ? uid('h') : null
  const area = h('textarea', { id, rows: 4, 'aria-describedby': hintId })
  area.readOnly = !ctx.editable
  const binding = new TextBinding(area, { get: () => ctx.doc.getText(block.key) })
  const el = h('section', { class: 'card block' },
    h('div', { class: 'field field-text', dataset: { path: block.key, field: block.key } },
      h('h2', {}, h('label', { for: id }, block.label)),
      block.hint ? h('p', { class: 'hint', id: hintId }, block.hint) : null,
      area,
      h('div', { class: 'presence-here', 'aria-hidden': 'true' })))
  return { el, destroy: () => binding.destroy() }
}

const listBlock = (ctx, block) => {
  const parts = []
  const el = h('section', { class: 'card block' }, h('h2', {}, block.label), hintOf(block))
  for (const { root, group } of blockRoots(block, ctx.optionLists)) {
    const list = renderList(ctx, {
      array: ctx.doc.getArray(root),
      itemSchema: block.item,
      block,
      path: root,
      level: group ? 4 : 3,
      label: group ? group.label : null,
      where: group ? group.label : null
    })
    parts.push(list)
    el.append(group ? h('div', { class: 'group' }, list.el) : list.el)
  }
  return { el, destroy: () => parts.forEach((p) => p.destroy()) }
}

const recordBlock = (ctx, block) => {
  const parts = []
  const cards = []
  for (const { root, group } of blockRoots(block, ctx.optionLists)) {
    const map = ctx.doc.getMap(root)
    const target = { map, text: (field) => recordText(ctx.doc, root, field) }
    const fields = block.fields.map((field) => renderField(ctx, field, target, `${root}/${field.key}`))
    parts.push(...fields)
    // a labelled group: the five "Hoe gaat het nu?" fields are told apart by their domain
    const headingId = uid('g')
    cards.push(h('section', { class: 'card record', role: 'group', 'aria-labelledby': headingId, dataset: { group: group?.value || '' } },
      h('h2', { id: headingId }, group ? group.label : block.label), fields.map((f) => f.el)))
  }
  const el = h('div', { class: `records records-${block.key}` },
    block.groups ? h('p', { class: 'lead' }, block.label) : null,
    hintOf(block), cards)
  return { el, destroy: () => parts.forEach((p) => p.destroy()) }
}

const answerText = (ctx, block, entry) => {
  const parts = []
  for (const field of block.fields) {
    const value = entry.get(field.key)
    if (field.kind === 'choice' && typeof value === 'string') {
      parts.push(ctx.optionLists[field.options].find((o) => o.value === value)?.label || '')
    } else if (value instanceof Y.Text && value.length > 0) {
      parts.push(value.toString())
    }
  }
  return parts.filter(Boolean).join(' — ') || 'Nog geen antwoord.'
}

/**
 * Looks like the Y.Map of one participant's answer to the fields, but only creates that map on
 * the first change, so an untouched form writes nothing into the document.
 */
class LazyEntry {
  constructor (parent, key, fields) {
    this.parent = parent
    this.key = key
    this.fields = fields
    this.observers = new Map()
  }

  get doc () { return this.parent.doc }

  current () {
    const value = this.parent.get(this.key)
    return value instanceof Y.Map ? value : null
  }

  ensure () {
    let entry = this.current()
    if (!entry) {
      entry = newEntry(this.fields)
      this.parent.set(this.key, entry)
    }
    return entry
  }

  get (key) { return this.current()?.get(key) }

  set (key, value) { this.doc.transact(() => this.ensure().set(key, value), LOCAL) }

  delete (key) { this.current()?.delete(key) }

  // every change below the parent may concern this entry; report all keys as changed
  observe (fn) {
    const deep = () => fn({ keysChanged: new Set(this.current() ? [...this.current().keys()] : this.fields.map((f) => f.key)) })
    this.observers.set(fn, deep)
    this.parent.observeDeep(deep)
  }

  unobserve (fn) {
    const deep = this.observers.get(fn)
    if (deep) this.parent.unobserveDeep(deep)
    this.observers.delete(fn)
  }
}

const perParticipantBlock = (ctx, block) => {
  const map = ctx.doc.getMap(block.key)
  const myKey = ctx.me.participant_id === null ? null : String(ctx.me.participant_id)
  const parts = []
  const el = h('section', { class: 'card block' }, h('h2', {}, block.label), hintOf(block))
  if (myKey !== null && ctx.editable) {
    // my own answer; the entry is made on my first choice or letter, so an untouched
    // form changes nothing in the document
    const entry = new LazyEntry(map, myKey, block.fields)
    const target = {
      map: entry,
      text: (field) => {
        const value = entry.get(field.key)
        return value instanceof Y.Text ? value : null
      },
      createText: (field, initial, origin) => {
        let text = null
        map.doc.transact(() => {
          text = entry.ensure().get(field.key)
          text.insert(0, initial)
        }, origin)
        return text
      }
    }
    const fields = block.fields.map((field) => renderField(ctx, field, target, `${block.key}/${myKey}/${field.key}`))
    const refresh = () => fields.forEach((f) => f.refresh?.())
    map.observe(refresh)
    parts.push(...fields, { destroy: () => map.unobserve(refresh) })
    el.append(h('div', { class: 'my-answer' }, h('h3', {}, 'Jouw antwoord'), fields.map((f) => f.el)))
  }
  const others = h('ul', { class: 'people answers' })
  const renderOthers = () => {
    const rows = ctx.participants
      .filter((p) => String(p.id) !== myKey || !ctx.editable)
      .filter((p) => map.get(String(p.id)) instanceof Y.Map)
      .map((p) => h('li', {}, h('strong', {}, `${p.name} (${p.role_label})`),
        h('span', {}, answerText(ctx, block, map.get(String(p.id))))))
    others.replaceChildren(...(rows.length ? rows : [h('li', { class: 'muted' }, 'Nog niemand anders heeft geantwoord.')]))
  }
  map.observeDeep(renderOthers)
  renderOthers()
  parts.push({ destroy: () => map.unobserveDeep(renderOthers) })
  el.append(h('h3', {}, 'Wat anderen zeggen'), others)
  return { el, destroy: () => parts.forEach((p) => p.destroy()) }
}

const BLOCKS = {
  text: textBlock,
  list: listBlock,
  record: recordBlock,
  per_participant: perParticipantBlock
}

/** Render every block of the section into `container`; returns a destroy function. */
export const renderSection = (ctx, container) => {
  const views = ctx.sectionSchema.blocks.map((block) => BLOCKS[block.kind](ctx, block))
  container.replaceChildren(...views.map((v) => v.el))
  return () => views.forEach((v) => v.destroy())
}

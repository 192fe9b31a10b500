// The reading view of a field: for someone who may read but not change it, the value as text
// (not a greyed-out form with "Kies…"), kept up to date as others write.
import * as Y from 'yjs'
import { h, uid } from './dom.js'
import { blockRoots, liveItems, itemSummary } from './model.js'

const EMPTY = 'Nog niet ingevuld.'
const DATE = new Intl.DateTimeFormat('nl-NL', { day: 'numeric', month: 'long', year: 'numeric' })

/** Items another list offers to link to: [{id, label}] from this document or a linked one. */
export const refOptions = (ctx, to) => {
  const doc = to.doc ? ctx.linkedDocs[to.doc]?.doc : ctx.doc
  const sectionSchema = to.doc ? ctx.linkedDocs[to.doc]?.schema : ctx.sectionSchema
  if (!doc || !sectionSchema) return null
  const block = sectionSchema.blocks.find((b) => b.key === to.list)
  const result = []
  for (const { root, group } of blockRoots(block, ctx.optionLists)) {
    // a deleted item cannot be chosen any more; a link to it stays stored, out of sight
    liveItems(doc.getArray(root)).forEach(({ item, id }, n) => {
      const summary = itemSummary(block.item, item, 90) || '(nog leeg)'
      const prefix = group ? `${group.label}: ` : `${block.item.label} ${n + 1}: `
      result.push({ id, label: prefix + summary })
    })
  }
  return { options: result, block, doc }
}

const dateText = (value) => {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || '')
  return match ? DATE.format(new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : ''
}

const optionLabel = (ctx, field, value) =>
  ctx.optionLists[field.options].find((o) => o.value === value)?.label || ''

/** The value of one field as text ('' when empty). */
const shownValue = (ctx, field, target) => {
  const value = target.map.get(field.key)
  switch (field.kind) {
    case 'text':
    case 'line': {
      const text = target.text(field)
      return text ? text.toString().trim() : ''
    }
    case 'choice': return typeof value === 'string' ? optionLabel(ctx, field, value) : ''
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return ''
      return `${Math.round(value)} (op een schaal van ${field.min} tot en met ${field.max})`
    }
    case 'date': return dateText(value)
    case 'flags':
      return ctx.optionLists[field.options]
        .filter((o) => target.map.get(`${field.key}.${o.value}`))
        .map((o) => o.label).join(', ')
    case 'person': {
      if (value === 'anders') {
        const name = target.map.get(`${field.key}_naam`)
        return name instanceof Y.Text ? name.toString().trim() : ''
      }
      const person = ctx.participants.find((p) => String(p.id) === value)
      return person ? `${person.name} (${person.role_label})` : ''
    }
    case 'refs': {
      const chosen = value instanceof Y.Array ? value.toArray() : []
      const found = refOptions(ctx, field.to)
      if (!found) return chosen.length ? 'Gekoppeld aan de analyse (die kun je hier niet zien).' : ''
      return found.options.filter((o) => chosen.includes(o.id)).map((o) => o.label).join('\n')
    }
    default: return ''
  }
}

/**
 * A field shown as text. `target` as for renderField; `watch(update)` follows every change that
 * may alter the value and returns a function that stops it.
 */
export const readField = (ctx, field, target, path, watch) => {
  const labelId = uid('l')
  const value = h('div', { class: 'read-value' })
  const el = h('div', { class: `field field-read field-${field.kind}`, dataset: { path, field: field.key } },
    h('p', { class: 'label', id: labelId }, field.label),
    value,
    h('div', { class: 'presence-here', 'aria-hidden': 'true' }))
  const update = () => {
    const text = shownValue(ctx, field, target)
    value.classList.toggle('muted', !text)
    const shown = text || EMPTY
    if (value.textContent !== shown) value.textContent = shown
  }
  const stop = watch(update)
  update()
  return { el, control: null, refresh: update, destroy: stop }
}

/** A text block (a root Y.Text) shown as text. */
export const readTextBlock = (block, text) => {
  const value = h('div', { class: 'read-value' })
  const update = () => {
    const words = text.toString().trim()
    value.classList.toggle('muted', !words)
    value.textContent = words || EMPTY
  }
  text.observe(update)
  update()
  const el = h('section', { class: 'card block' },
    h('div', { class: 'field field-read field-text', dataset: { path: block.key, field: block.key } },
      h('h2', {}, block.label),
      value,
      h('div', { class: 'presence-here', 'aria-hidden': 'true' })))
  return { el, destroy: () => text.unobserve(update) }
}

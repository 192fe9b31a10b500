// "Nieuw sinds je laatste bezoek": the fields others changed since this person last opened the
// document (the page's config carries them: [{path, label, by: [names]}], paths in the editor's
// data-path form). Each gets a visible "Nieuw" label with who changed it, for this visit, until
// the person closes them; a summary on top links to them, and screen readers hear it politely.
import { h, uid } from './dom.js'

const names = (by) => {
  const list = (Array.isArray(by) ? by : []).filter((n) => typeof n === 'string' && n.trim())
  if (list.length === 0) return ''
  if (list.length === 1) return list[0]
  return `${list.slice(0, -1).join(', ')} en ${list[list.length - 1]}`
}

const byText = (change, start = 'Veranderd') => {
  const who = names(change.by)
  return who ? `${start} door ${who}` : start
}

/** The element a change is about: the field with that path, or a whole list item
 * ("<list>/<item id>"), or nothing (e.g. the item is deleted). Compared, never put in a selector. */
const elementFor = (root, path) => {
  const exact = [...root.querySelectorAll('[data-path]')].find((el) => el.dataset.path === path)
  if (exact) return exact
  const cut = path.lastIndexOf('/')
  if (cut < 0) return null
  const listPath = path.slice(0, cut)
  const id = path.slice(cut + 1)
  const list = [...root.querySelectorAll('.list[data-path]')].find((el) => el.dataset.path === listPath)
  return list ? [...list.querySelectorAll(':scope > .items > .item')].find((el) => el.dataset.id === id) || null : null
}

const labelOf = (el) => el.querySelector(':scope > label, :scope > legend, :scope > h2, :scope > .label, :scope > .item-head')

/**
 * Mark the `changes` in `root` (which shows `doc`). The summary goes right before `root`;
 * `announce(text)` speaks. Returns a destroy function.
 */
export const startChanges = ({ changes, doc, root, announce }) => {
  const wanted = (Array.isArray(changes) ? changes : [])
    .filter((c) => c && typeof c.path === 'string' && c.path)
  if (wanted.length === 0) return () => {}

  const entries = wanted.map((change) => ({ change, el: null, marker: null, link: null, id: uid('nieuw') }))
  const headingId = uid('kop')
  const list = h('ul', { class: 'changes-list' })
  const close = h('button', { type: 'button', class: 'button secondary small' }, 'Markeringen weghalen')
  const count = wanted.length === 1 ? 'Er is 1 ding veranderd' : `Er zijn ${wanted.length} dingen veranderd`
  const summary = h('section', { class: 'notice changes-summary', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, 'Nieuw sinds je laatste bezoek'),
    h('p', {}, `${count}. Je ziet het aan het label ‘Nieuw’.`),
    list, close)
  for (const entry of entries) {
    const label = typeof entry.change.label === 'string' && entry.change.label.trim()
      ? entry.change.label : 'Een deel van dit stuk'
    entry.link = h('a', { href: `#${entry.id}` }, label)
    entry.text = h('span', {}, label)
    entry.row = h('li', {}, entry.text, ` — ${byText(entry.change, 'veranderd')}`)
    entry.link.addEventListener('click', (event) => {
      event.preventDefault()
      if (!entry.el) return
      entry.el.scrollIntoView({ block: 'center' })
      const control = entry.el.querySelector('textarea, input, select, button')
      if (control) control.focus({ preventScroll: true })
      else entry.el.focus({ preventScroll: true })
    })
    list.append(entry.row)
  }
  root.before(summary)

  const apply = () => {
    for (const entry of entries) {
      if (entry.el && entry.el.isConnected && entry.marker?.isConnected) continue
      const el = elementFor(root, entry.change.path)
      entry.el = el
      if (!el) {
        if (entry.row.firstChild === entry.link) entry.row.replaceChild(entry.text, entry.link)
        continue
      }
      if (!el.id) el.id = entry.id
      else entry.id = el.id
      entry.link.setAttribute('href', `#${el.id}`)
      if (!el.hasAttribute('tabindex') && !el.querySelector('textarea, input, select, button')) el.setAttribute('tabindex', '-1')
      entry.marker = h('p', { class: 'new-marker' },
        h('span', { class: 'new-badge' }, 'Nieuw'), ` ${byText(entry.change)}`)
      const label = labelOf(el)
      if (label) label.after(entry.marker)
      else el.prepend(entry.marker)
      el.classList.add('is-new')
      if (entry.row.firstChild === entry.text) entry.row.replaceChild(entry.link, entry.text)
    }
  }

  let frame = 0
  const later = () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; apply() })
  }
  doc.on('update', later)
  apply()
  announce(`Nieuw sinds je laatste bezoek: ${count.toLowerCase()}. Ze hebben het label ‘Nieuw’.`)

  const destroy = () => {
    doc.off('update', later)
    if (frame) cancelAnimationFrame(frame)
    for (const entry of entries) {
      entry.marker?.remove()
      entry.el?.classList.remove('is-new')
    }
    summary.remove()
  }
  close.addEventListener('click', () => {
    destroy()
    announce('De markeringen zijn weg.')
    root.querySelector('textarea, input, select, button')?.focus({ preventScroll: true })
  })
  return destroy
}

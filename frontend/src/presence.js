// Who is here, and where they type. The server sets each connection's `user` ({name, role,
// color}) in the awareness state; this client only says which field it is in.
import { h } from './dom.js'

/** What a field is called, for a sentence: its label, after the item it is in ("Doel 2 · …"). */
export const fieldLabel = (fieldEl) => {
  const own = fieldEl.querySelector(':scope > label, :scope > legend, :scope > h2 label, :scope > h2')
  const name = own ? own.textContent.trim() : ''
  const item = fieldEl.closest('.item')
  const itemTitle = item ? item.querySelector(':scope > .item-head > :first-child') : null
  return itemTitle ? `${itemTitle.textContent.trim()} · ${name}` : name
}

const safeColor = (value) => (/^#[0-9a-fA-F]{3,8}$/.test(value || '') ? value : '#4a5562')

/**
 * Show the people in `awareness` in `listEl` and mark the fields they are in.
 * `root` is the editor element (fields carry `data-path`). Returns a destroy function.
 */
export const startPresence = ({ awareness, root, listEl, whereEl, readOnly, roleLabels = {} }) => {
  // tell others where I am (not for read-only viewers: they do not type)
  const onFocus = (event) => {
    const field = event.target.closest?.('[data-path]')
    if (!field || readOnly) return
    awareness.setLocalStateField('field', { path: field.dataset.path, label: fieldLabel(field) })
  }
  const onBlur = (event) => {
    if (!root.contains(event.relatedTarget)) awareness.setLocalStateField('field', null)
  }
  root.addEventListener('focusin', onFocus)
  root.addEventListener('focusout', onBlur)

  const render = () => {
    const others = []
    const seen = new Set()
    awareness.getStates().forEach((state, clientId) => {
      if (clientId === awareness.clientID || !state || !state.user) return
      others.push({ ...state.user, field: state.field || null, clientId })
    })
    const people = others.filter((p) => {
      const key = `${p.name}|${p.role}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    listEl.replaceChildren(
      h('li', { class: 'presence-person me' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), 'Jij'),
      ...people.map((p) => h('li', { class: 'presence-person' },
        h('span', { class: 'dot', style: `background:${safeColor(p.color)}`, 'aria-hidden': 'true' }),
        p.name, p.role ? h('span', { class: 'role' }, ` (${roleLabels[p.role] || p.role})`) : null)))
    // markers next to the fields
    root.querySelectorAll('.presence-here').forEach((el) => el.replaceChildren())
    root.querySelectorAll('.field.is-busy').forEach((el) => el.classList.remove('is-busy'))
    const typing = []
    for (const p of others) {
      if (!p.field || typeof p.field.path !== 'string') continue
      const field = [...root.querySelectorAll('[data-path]')].find((el) => el.dataset.path === p.field.path)
      if (!field) continue
      const marker = field.querySelector(':scope > .presence-here')
      marker?.append(h('span', { class: 'presence-marker', style: `border-color:${safeColor(p.color)}` },
        h('span', { class: 'dot', style: `background:${safeColor(p.color)}` }), `${p.name} typt hier`))
      field.classList.add('is-busy')
      typing.push(`${p.name} typt bij: ${fieldLabel(field)}`)
    }
    whereEl.textContent = typing.join('. ')
  }
  awareness.on('change', render)
  render()
  return () => {
    awareness.off('change', render)
    root.removeEventListener('focusin', onFocus)
    root.removeEventListener('focusout', onBlur)
  }
}

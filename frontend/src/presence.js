// Who has the document open, and where they are. The server sets each connection's `user`
// ({name, role, color}) in the awareness state; this client only says which field it is in.
// The server also shows notices this way (RoomServer.announce): a state with `notice` and the
// role "server", shown as a message, never as a person.
import { h } from './dom.js'

const SERVER_ROLE = 'server'
const TEXT_INPUTS = new Set(['text', 'number', 'search', 'email', 'tel', 'url', ''])

/** What a field is called, for a sentence: its label, after the item it is in ("Doel 2 · …"). */
export const fieldLabel = (fieldEl) => {
  const own = fieldEl.querySelector(':scope > label, :scope > legend, :scope > h2 label, :scope > h2, :scope > .label')
  const name = own ? own.textContent.trim() : ''
  const item = fieldEl.closest('.item')
  const itemTitle = item ? item.querySelector(':scope > .item-head > :first-child') : null
  return itemTitle && name ? `${itemTitle.textContent.trim()} · ${name}` : name
}

const safeColor = (value) => (/^#[0-9a-fA-F]{3,8}$/.test(value || '') ? value : '#4a5562')

/** Only a path on this site ("/…", not "//host" or "/\host") becomes a link. */
const localLink = (value) => (typeof value === 'string' && /^\/(?![/\\])/.test(value) ? value : null)

const isTyping = (el) => el instanceof HTMLTextAreaElement ||
  (el instanceof HTMLInputElement && TEXT_INPUTS.has(el.type))

/** Where a focused control is, for the others: {path, label, typing}, or null (a button…). */
const placeOf = (control) => {
  if (!control.matches?.('textarea, input, select')) return null
  const field = control.closest('.field[data-path]')
  if (!field) return null
  const label = fieldLabel(field)
  return label ? { path: field.dataset.path, label, typing: isTyping(control) } : null
}

/**
 * Show the people in `awareness` in `listEl` and mark the fields they are in; server notices go
 * to `noticesEl`. `root` is the editor element (fields carry `data-path`) showing `doc`.
 * Returns a destroy function.
 */
export const startPresence = ({ awareness, doc, root, listEl, whereEl, noticesEl, readOnly, roleLabels = {} }) => {
  // Announce this page at once, readers too. The state must change for that: y-protocols
  // ignores a first state with clock 0 from a peer it does not know yet, which hid everyone
  // until they focused a field.
  awareness.setLocalState({ ...(awareness.getLocalState() || {}), field: null })

  // tell others where I am (not for readers: they do not write)
  const onFocus = (event) => {
    if (readOnly) return
    const place = placeOf(event.target)
    const current = awareness.getLocalState()?.field || null
    if (JSON.stringify(place) !== JSON.stringify(current)) awareness.setLocalStateField('field', place)
  }
  const onBlur = (event) => {
    if (!root.contains(event.relatedTarget) && awareness.getLocalState()?.field) {
      awareness.setLocalStateField('field', null)
    }
  }
  root.addEventListener('focusin', onFocus)
  root.addEventListener('focusout', onBlur)

  // on a phone the names fold away behind one button, so the bar stays one line
  const section = listEl.closest('.presence')
  const toggle = h('button', {
    type: 'button', class: 'presence-toggle button secondary small', 'aria-expanded': 'false', 'aria-controls': listEl.id
  })
  toggle.addEventListener('click', () => {
    const open = section.classList.toggle('is-open')
    toggle.setAttribute('aria-expanded', String(open))
  })
  listEl.before(toggle)
  section.classList.add('has-toggle')

  const shownNotices = new Map() // key → element
  const showNotice = (key, notice) => {
    if (shownNotices.has(key) || !notice || typeof notice.text !== 'string' || !notice.text.trim()) return
    const link = localLink(notice.link)
    const close = h('button', { type: 'button', class: 'button secondary small' }, 'Sluiten')
    const el = h('div', { class: 'notice server-notice' },
      h('p', {}, notice.text),
      link ? h('p', {}, h('a', { href: link }, notice.kind === 'restore' ? 'Bekijk de tekst van daarvoor' : 'Lees meer')) : null,
      close)
    close.addEventListener('click', () => {
      el.remove()
      shownNotices.set(key, null) // closed: not shown again for this page
    })
    shownNotices.set(key, el)
    noticesEl?.append(el)
  }

  const render = () => {
    const others = []
    const seen = new Set()
    awareness.getStates().forEach((state, clientId) => {
      if (clientId === awareness.clientID || !state || !state.user) return
      if (state.user.role === SERVER_ROLE) {
        if (state.notice) showNotice(`${clientId}|${state.notice.text}`, state.notice)
        return
      }
      others.push({ ...state.user, field: state.field || null, clientId })
    })
    const people = others.filter((p) => {
      const key = `${p.name}|${p.role}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    toggle.textContent = `Nu hier: ${people.length + 1}`
    listEl.replaceChildren(
      h('li', { class: 'presence-person me' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), 'Jij'),
      ...people.map((p) => h('li', { class: 'presence-person' },
        h('span', { class: 'dot', style: `background:${safeColor(p.color)}`, 'aria-hidden': 'true' }),
        p.name, p.role ? h('span', { class: 'role' }, ` (${roleLabels[p.role] || p.role})`) : null)))
    // markers next to the fields
    root.querySelectorAll('.presence-here').forEach((el) => el.replaceChildren())
    root.querySelectorAll('.field.is-busy').forEach((el) => el.classList.remove('is-busy'))
    const where = []
    for (const p of others) {
      if (!p.field || typeof p.field.path !== 'string') continue
      const field = [...root.querySelectorAll('[data-path]')].find((el) => el.dataset.path === p.field.path)
      if (!field) continue
      const label = fieldLabel(field)
      if (!label) continue
      const typing = p.field.typing !== false
      const marker = field.querySelector(':scope > .presence-here')
      marker?.append(h('span', { class: 'presence-marker', style: `border-color:${safeColor(p.color)}` },
        h('span', { class: 'dot', style: `background:${safeColor(p.color)}` }),
        `${p.name} ${typing ? 'typt hier' : 'is hier'}`))
      field.classList.add('is-busy')
      where.push(`${p.name} ${typing ? 'typt bij' : 'is bij'}: ${label}`)
    }
    const text = where.join('. ')
    if (whereEl.textContent !== text) whereEl.textContent = text
  }
  awareness.on('change', render)
  // someone may be in a field that arrives after their presence did (a new item): look again
  let frame = 0
  const later = () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; render() })
  }
  doc?.on('update', later)
  render()
  return () => {
    awareness.off('change', render)
    doc?.off('update', later)
    if (frame) cancelAnimationFrame(frame)
    root.removeEventListener('focusin', onFocus)
    root.removeEventListener('focusout', onBlur)
  }
}

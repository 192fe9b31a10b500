// The eenplan document editor: reads its configuration from the page, connects the Yjs document
// to the sync server and renders the section from the shared schema.
import * as Y from 'yjs'
import { Connection, STATUS_TEXT } from './connection.js'
import { renderSection } from './blocks.js'
import { startPresence } from './presence.js'
import { startUndo } from './undo.js'
import { sectionRoots } from './model.js'
import { wordingFor } from './wording.js'
import { startChanges } from './changes.js'

const readConfig = () => {
  const el = document.getElementById('editor-config')
  return el ? JSON.parse(el.textContent) : null
}

const lockEditor = (root) => {
  root.querySelectorAll('textarea, input').forEach((el) => { el.readOnly = true })
  root.querySelectorAll('select, button, input[type=checkbox], input[type=radio]').forEach((el) => { el.disabled = true })
}

/** Tell screen readers something politely (the same words twice are said twice). */
const announcer = (el) => {
  let timer = 0
  return (text) => {
    if (!el) return
    el.textContent = ''
    clearTimeout(timer)
    timer = setTimeout(() => { el.textContent = text }, 50)
  }
}

const start = () => {
  const config = readConfig()
  const root = document.getElementById('editor-root')
  const statusEl = document.getElementById('editor-status')
  if (!config || !root || !statusEl) return
  const editable = config.access === 'edit'

  // gc off: deleted content stays as it was instead of becoming garbage-collected structs,
  // which the server refuses from clients (they could claim anyone's clock ranges).
  const doc = new Y.Doc({ gc: false })
  let undo = null
  const onStatus = (state) => {
    statusEl.dataset.state = state
    statusEl.textContent = STATUS_TEXT[state](editable)
    if (['unauthenticated', 'forbidden', 'refused', 'refusedUpdate', 'tooManyTabs'].includes(state)) {
      lockEditor(root)
      undo?.lock()
    }
  }
  const connection = new Connection({ doc, docId: config.doc_id, editable, onStatus })

  const words = wordingFor(config.me.role, {
    sectionSchema: config.schema, optionLists: config.option_lists, linked: config.linked
  })
  const linkedDocs = {}
  const linkedConnections = []
  for (const [name, linked] of Object.entries(words.linked || {})) {
    const linkedDoc = new Y.Doc({ gc: false })
    linkedConnections.push(new Connection({
      doc: linkedDoc, docId: linked.doc_id, editable: false, presence: false
    }))
    linkedDocs[name] = { doc: linkedDoc, schema: linked.schema }
  }

  const ctx = {
    doc,
    editable,
    sectionSchema: words.sectionSchema,
    optionLists: words.optionLists,
    participants: config.participants,
    me: config.me,
    linkedDocs,
    // a new list item: the undo history knows it, so going back past it takes it away (softly)
    onAdded: (item, label, addButton) => undo?.rememberAdded(item, label, addButton)
  }
  root.setAttribute('aria-busy', 'true')
  renderSection(ctx, root)
  root.removeAttribute('aria-busy')
  const announce = announcer(document.getElementById('editor-announce'))
  startChanges({ changes: config.changes, doc, root, announce })
  if (editable) {
    undo = startUndo({
      scope: sectionRoots(doc, config.schema, config.option_lists),
      me: config.me,
      root,
      editorEl: root.closest('.editor') || document.body,
      placeAfter: statusEl,
      announce
    })
  }
  startPresence({
    awareness: connection.provider.awareness,
    doc,
    root,
    listEl: document.getElementById('presence-list'),
    whereEl: document.getElementById('presence-where'),
    noticesEl: document.getElementById('editor-notices'),
    readOnly: !editable,
    roleLabels: config.role_labels || {}
  })
  // for tests and for looking around in the browser console
  window.eenplanEditor = { doc, connection, provider: connection.provider, linkedConnections, undo, Y }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
else start()

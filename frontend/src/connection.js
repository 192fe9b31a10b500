// The connection to the sync server, the save status, and edits kept on this device until the
// server has them.
//
// "Opgeslagen" means the server has processed every local change: after a change we send a
// SyncStep1 as a probe; the server handles one connection's messages in order and stores an
// update before it answers anything that came after it, so its SyncStep2 answer to the probe
// means everything sent before the probe is stored.
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import { WebsocketProvider, messageSync } from 'y-websocket'
import closeCodes from '../../app/crdt/close_codes.json'
import { afterEachSyncMessage, stopSendingLocalChanges } from './compat-y-websocket.js'

const CLOSE = closeCodes.codes
// Closes after which connecting again cannot help: the server must not see this copy again
// (a refused update), or the person has to do something first.
const TERMINAL = new Set([
  CLOSE.NOT_SIGNED_IN, CLOSE.FORBIDDEN, CLOSE.REFUSED_UPDATE,
  CLOSE.TOO_MANY_CONNECTIONS, CLOSE.DOCUMENT_FULL
])
const RELOAD_AFTER_REFUSAL = 4000

const CACHE_ORIGIN = { name: 'local-cache' }
const PROBE_DELAY = 300
const CACHE_DELAY = 250
const SLOW_SAVE = 1500

const toBase64 = (bytes) => {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000))
  }
  return btoa(binary)
}

const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0))

export const STATUS_TEXT = {
  connecting: () => 'Verbinden…',
  saved: (editable) => (editable ? 'Opgeslagen' : 'Bijgewerkt'),
  saving: () => 'Opslaan…',
  offline: (editable) => (editable
    ? 'Geen verbinding — je wijzigingen worden bewaard tot je weer verbonden bent'
    : 'Geen verbinding. We proberen het opnieuw.'),
  unauthenticated: () => 'Je bent niet meer ingelogd. Log opnieuw in om verder te gaan. Wat je net schreef, blijft op dit apparaat bewaard.',
  forbidden: () => 'Je hebt geen toegang (meer) tot dit stuk.',
  refused: () => 'De verbinding is geweigerd. Laad de pagina opnieuw.',
  refusedUpdate: () => 'Je laatste wijziging kon niet worden bewaard. We laden de pagina opnieuw met wat er wel is opgeslagen.',
  tooManyTabs: () => 'Je hebt eenplan in te veel tabbladen open. Sluit er een paar en laad deze pagina opnieuw.',
  documentFull: () => 'Dit stuk is te groot geworden. Wat je net schreef is nog niet bewaard: kopieer het en vraag het vaste aanspreekpunt om hulp.',
  retrying: (editable) => (editable
    ? 'Opslaan lukte even niet. Je wijzigingen blijven bewaard en we proberen het zo opnieuw.'
    : 'Even geen verbinding. We proberen het opnieuw.'),
  slowDown: () => 'Er gaan veel wijzigingen tegelijk. Even geduld: we verbinden opnieuw en bewaren alles.'
}

/** The websocket URL of the sync server on this host. */
export const serverUrl = () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/docs`

export class Connection {
  /**
   * @param {object} opts
   * @param {Y.Doc} opts.doc
   * @param {string} opts.docId
   * @param {boolean} opts.editable  false: never send updates, never keep a local copy
   * @param {(state: string, code?: number) => void} [opts.onStatus]
   * @param {boolean} [opts.presence] false: do not announce this client (a linked, read-only doc)
   */
  constructor ({ doc, docId, editable, onStatus = () => {}, presence = true }) {
    this.doc = doc
    this.editable = editable
    this.onStatus = onStatus
    this.cacheKey = `eenplan:unsaved:${docId}`
    this.dirtySeq = 0
    this.savedSeq = 0
    this.probes = []
    this.failures = 0
    this.closedCode = null
    this.serverAsked = false
    this.timers = {}
    this.state = null

    this.lastCloseCode = null
    if (editable) this.loadCache()
    this.provider = new WebsocketProvider(serverUrl(), docId, doc, {
      disableBc: true,
      shouldReconnect: (event) => !TERMINAL.has(event.code)
    })
    if (!presence) this.provider.awareness.setLocalState(null)
    if (!editable) {
      // a viewer never sends changes (the server would drop them anyway)
      stopSendingLocalChanges(this.provider, doc)
    }
    afterEachSyncMessage(this.provider, (kind) => this.afterSyncMessage(kind))

    this.onUpdate = (_update, origin) => {
      if (origin === this.provider || !this.editable) return
      this.dirtySeq++
      if (origin !== CACHE_ORIGIN) this.later('cache', CACHE_DELAY, () => this.writeCache())
      this.later('probe', PROBE_DELAY, () => this.probe())
      this.report()
    }
    doc.on('update', this.onUpdate)
    this.provider.on('status', ({ status }) => {
      if (status === 'connected') {
        this.probes = []
        this.serverAsked = false
      }
      this.report()
    })
    this.provider.on('connection-close', (event) => {
      this.failures++
      this.lastCloseCode = event ? event.code : null
      this.report()
    })
    this.provider.on('sync', (synced) => {
      if (!synced) return
      this.failures = 0
      this.lastCloseCode = null
      this.catchUp()
      this.report()
    })
    this.provider.on('closed', ({ code }) => {
      this.closedCode = code
      if (code === CLOSE.REFUSED_UPDATE) {
        // The server refused what this copy holds: start again from what it stored.
        this.editable = false
        this.dropCache()
        setTimeout(() => window.location.reload(), RELOAD_AFTER_REFUSAL)
      }
      this.report()
    })
    this.onOffline = () => this.provider.ws?.close()
    this.onPageHide = () => { if (this.unsaved()) this.writeCache() }
    window.addEventListener('offline', this.onOffline)
    window.addEventListener('pagehide', this.onPageHide)
    this.report()
  }

  unsaved () { return this.savedSeq < this.dirtySeq }

  later (name, delay, fn) {
    clearTimeout(this.timers[name])
    this.timers[name] = setTimeout(fn, delay)
  }

  loadCache () {
    let stored = null
    try { stored = localStorage.getItem(this.cacheKey) } catch { return }
    if (!stored) return
    try {
      Y.applyUpdate(this.doc, fromBase64(stored), CACHE_ORIGIN)
      this.dirtySeq++
    } catch (error) {
      console.warn('eenplan: could not read the local copy', error)
    }
  }

  writeCache () {
    if (!this.editable || !this.unsaved()) return
    try {
      localStorage.setItem(this.cacheKey, toBase64(Y.encodeStateAsUpdate(this.doc)))
    } catch (error) {
      console.warn('eenplan: could not keep a local copy', error)
    }
  }

  dropCache () {
    clearTimeout(this.timers.cache)
    try { localStorage.removeItem(this.cacheKey) } catch { /* private mode */ }
  }

  /** The server asked for our state (step 1), or answered a probe (step 2). */
  afterSyncMessage (kind) {
    if (kind === syncProtocol.messageYjsSyncStep1) this.serverAsked = true
    if (kind === syncProtocol.messageYjsSyncStep2 && this.probes.length > 0) {
      this.savedSeq = Math.max(this.savedSeq, this.probes.shift())
      if (!this.unsaved()) this.dropCache()
      this.report()
    }
  }

  send (write) {
    const ws = this.provider.ws
    if (!ws || ws.readyState !== WebSocket.OPEN || !this.provider.synced) return false
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, messageSync)
    write(encoder)
    ws.send(encoding.toUint8Array(encoder))
    return true
  }

  /** Ask the server for what we miss; its answer confirms everything sent before. */
  probe () {
    if (!this.editable || !this.unsaved()) return
    const seq = this.dirtySeq
    if (this.send((encoder) => syncProtocol.writeSyncStep1(encoder, this.doc))) this.probes.push(seq)
  }

  /** After (re)connecting: make sure the server gets what was written while offline. */
  catchUp () {
    if (!this.editable || !this.unsaved()) return
    if (!this.serverAsked) {
      // the server did not ask for our state (a SyncStep1); send all of it, it merges idempotently
      this.send((encoder) => syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(this.doc)))
    }
    this.probe()
  }

  currentState () {
    if (this.closedCode !== null) {
      switch (this.closedCode) {
        case CLOSE.NOT_SIGNED_IN: return 'unauthenticated'
        case CLOSE.FORBIDDEN: return 'forbidden'
        case CLOSE.REFUSED_UPDATE: return 'refusedUpdate'
        case CLOSE.TOO_MANY_CONNECTIONS: return 'tooManyTabs'
        case CLOSE.DOCUMENT_FULL: return 'documentFull'
        default: return 'refused'
      }
    }
    if (!this.provider.wsconnected || !this.provider.synced) {
      if (this.failures === 0) return 'connecting'
      if (this.lastCloseCode === CLOSE.TRY_AGAIN) return 'retrying'
      if (this.lastCloseCode === CLOSE.TOO_MANY_MESSAGES) return 'slowDown'
      return 'offline'
    }
    if (this.unsaved()) return 'saving'
    return 'saved'
  }

  report () {
    const state = this.currentState()
    if (state === this.state) return
    // a quick save shows no "Opslaan…" flash: it waits until the save is slow
    if (state === 'saving' && this.state === 'saved') {
      this.later('slow', SLOW_SAVE, () => { if (this.currentState() === 'saving') this.emit('saving') })
      return
    }
    this.emit(state)
  }

  emit (state) {
    this.state = state
    this.onStatus(state, this.closedCode)
  }

  destroy () {
    this.doc.off('update', this.onUpdate)
    window.removeEventListener('offline', this.onOffline)
    window.removeEventListener('pagehide', this.onPageHide)
    Object.values(this.timers).forEach(clearTimeout)
    this.provider.destroy()
  }
}

// A real Yjs client (yjs + y-websocket's WebsocketProvider) for the interop tests.
//
// Usage: node yjs_peer.mjs '<json>' with
//   {serverUrl, room, cookie, origin, write?, waitFor?, presence?, waitForPeerName?}
// It connects, waits for the first sync, sets its presence, appends `write` to the text
// "krachten" (the analyse document's first text), waits until the text contains `waitFor` (and a peer's presence named
// `waitForPeerName`), then prints one JSON line {text, peers, synced} and exits 0.
// On a close from the server it prints {closed: code} and exits 0. A deadline exits 1.
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const options = JSON.parse(process.argv[2])
const DEADLINE_MS = options.deadlineMs ?? 30000

// y-websocket calls `new WebSocketPolyfill(url, protocols)`; browsers send the cookie and the
// Origin by themselves, so this subclass adds them the way a browser would.
class BrowserLikeWebSocket extends WebSocket {
  constructor (url, protocols) {
    super(url, protocols, { headers: { Cookie: options.cookie, Origin: options.origin } })
  }
}

const doc = new Y.Doc()
const text = doc.getText('krachten')
const provider = new WebsocketProvider(options.serverUrl, options.room, doc, {
  WebSocketPolyfill: BrowserLikeWebSocket,
  disableBc: true,
  maxBackoffTime: 100000
})

const finish = (result, code = 0) => {
  process.stdout.write(JSON.stringify(result) + '\n')
  provider.destroy()
  process.exit(code)
}

const timer = setTimeout(() => {
  finish({ error: 'deadline', text: text.toString(), peers: peers() }, 1)
}, DEADLINE_MS)

const peers = () => [...provider.awareness.getStates().entries()]
  .filter(([clientId]) => clientId !== doc.clientID)
  .map(([, state]) => state)

provider.on('connection-close', (event) => {
  if (event && event.code >= 4000) {
    clearTimeout(timer)
    finish({ closed: event.code })
  }
})

const done = () => {
  const textReady = !options.waitFor || text.toString().includes(options.waitFor)
  const peerReady = !options.waitForPeerName ||
    peers().some((state) => state && state.user && state.user.name === options.waitForPeerName)
  return textReady && peerReady
}

const check = () => {
  if (done()) {
    clearTimeout(timer)
    finish({ text: text.toString(), peers: peers(), synced: provider.synced })
  }
}

provider.once('sync', () => {
  if (options.presence) provider.awareness.setLocalState(options.presence)
  if (options.write) text.insert(text.length, options.write)
  text.observe(check)
  provider.awareness.on('change', check)
  check()
})

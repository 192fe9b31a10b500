// Checks what frontend/src/compat-y-websocket.js relies on in the installed y-websocket, with a
// fake socket instead of a server. Run by test_compat_y_websocket.py; exits 1 naming the check
// that failed, so an upgrade that changes one of these internals fails loudly.
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import { WebsocketProvider, messageSync } from 'y-websocket'
import {
  afterEachSyncMessage,
  stopSendingLocalChanges
} from '../../frontend/src/compat-y-websocket.js'

/** A socket that is open at once and keeps what the provider sends. */
class FakeSocket {
  constructor (url) {
    this.url = url
    this.OPEN = 1
    this.readyState = 1
    this.sent = []
    FakeSocket.last = this
  }

  send (data) { this.sent.push(new Uint8Array(data)) }
  close () { this.readyState = 3 }
}

const connected = () => {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider('ws://fake', 'room', doc, {
    WebSocketPolyfill: FakeSocket,
    disableBc: true
  })
  const socket = FakeSocket.last
  socket.onopen()
  socket.sent.length = 0 // the provider's own step 1 and presence
  return { doc, provider, socket }
}

/** A sync message from the server, as y-websocket frames it. */
const fromServer = (socket, write) => {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, messageSync)
  write(encoder)
  socket.onmessage({ data: encoding.toUint8Array(encoder).buffer })
}

const isUpdate = (message) => message[0] === messageSync && message[1] === syncProtocol.messageYjsUpdate

const checks = {
  'a local change is sent by provider._updateHandler, and stops when it is taken off' () {
    const { doc, provider, socket } = connected()
    assert.equal(typeof provider._updateHandler, 'function')
    doc.getText('t').insert(0, 'a')
    assert.equal(socket.sent.filter(isUpdate).length, 1, 'a local change is sent')
    stopSendingLocalChanges(provider, doc)
    doc.getText('t').insert(1, 'b')
    assert.equal(socket.sent.filter(isUpdate).length, 1, 'nothing more after stopping')
    provider.destroy()
  },

  'messageHandlers[messageSync] can be wrapped and still syncs the document' () {
    const { doc, provider, socket } = connected()
    const kinds = []
    afterEachSyncMessage(provider, (kind) => kinds.push(kind))
    const server = new Y.Doc()
    server.getText('t').insert(0, 'van de server')
    fromServer(socket, (encoder) => syncProtocol.writeSyncStep1(encoder, server))
    fromServer(socket, (encoder) => syncProtocol.writeSyncStep2(encoder, server))
    server.getText('t').insert(0, 'nieuw ')
    fromServer(socket, (encoder) => syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(server)))
    assert.deepEqual(kinds, [
      syncProtocol.messageYjsSyncStep1,
      syncProtocol.messageYjsSyncStep2,
      syncProtocol.messageYjsUpdate
    ])
    assert.equal(doc.getText('t').toString(), 'nieuw van de server')
    assert.equal(provider.synced, true, 'a step 2 still marks the provider synced')
    const answers = socket.sent.filter((m) => m[0] === messageSync && m[1] === syncProtocol.messageYjsSyncStep2)
    assert.equal(answers.length, 1, 'a step 1 from the server is still answered')
    provider.destroy()
  }
}

let failed = 0
for (const [name, check] of Object.entries(checks)) {
  try {
    check()
    console.log(`ok ${name}`)
  } catch (error) {
    failed++
    console.log(`FAILED ${name}: ${error.message}`)
  }
}
process.exit(failed ? 1 : 0)

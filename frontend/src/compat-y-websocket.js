// The one place the editor relies on internals of y-websocket (pinned in package.json).
// tests/interop/compat_y_websocket.mjs checks each of them against the installed version, so
// an upgrade that changes one fails loudly (test_compat_y_websocket.py runs it):
// - `provider._updateHandler`: the doc 'update' listener that sends local changes;
// - `provider.messageHandlers[messageSync]`: the handler of sync messages, which we wrap; it is
//   called with a lib0 decoder standing at the sync message type.
import * as decoding from 'lib0/decoding'
import { messageSync } from 'y-websocket'

/** Stop `provider` from sending the changes made to `doc` on this device. */
export const stopSendingLocalChanges = (provider, doc) => {
  doc.off('update', provider._updateHandler)
}

/**
 * After `provider` handled a sync message from the server, call `observe(kind)` with its type
 * (y-protocols' messageYjsSyncStep1, messageYjsSyncStep2 or messageYjsUpdate).
 */
export const afterEachSyncMessage = (provider, observe) => {
  const original = provider.messageHandlers[messageSync]
  provider.messageHandlers[messageSync] = (encoder, decoder, ...rest) => {
    const kind = decoding.peekVarUint(decoder)
    original(encoder, decoder, ...rest)
    observe(kind)
  }
}

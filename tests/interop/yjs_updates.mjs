// Random Yjs updates for the update reader's and the admission rules' property tests.
//
// Usage: node yjs_updates.mjs '<json>' with {seed, corpusSessions, honestSessions,
// offlineSessions}.
// Prints one JSON line per item, deterministic for a seed:
//   {kind: "update", hex, structs, ds}  an update Yjs made, with what Y.decodeUpdate reads in it:
//       structs: [[struct, client, clock, length, origin, rightOrigin, parentRoot, parentId,
//                  parentSub, contentRef, typeRef]]  (struct: "item", "gc" or "skip")
//       ds: [[client, clock, length]]
//   {kind: "session", section, offline, updates: [[author, hex]], state}  an honest editing
//       session of people working on one document of a section, in the order the server
//       receives the updates; state is the hex of the server's state vector at the end. In an
//       offline session someone works offline for a while and then reconnects.
import * as Y from 'yjs'
import * as prng from 'lib0/prng'

const options = JSON.parse(process.argv[2])
const gen = prng.create(options.seed)

const toHex = (bytes) => Buffer.from(bytes).toString('hex')
const int = (min, max) => prng.int32(gen, min, max)
const chance = (p) => gen.next() < p
const pick = (array) => array[int(0, array.length - 1)]

// Code points whose UTF-16 and UTF-8 lengths differ: emoji (surrogate pairs), accents, CJK.
const PIECES = ['a', 'b', 'Z', ' ', 'é', 'ë', '€', '中', '🙂', '👍🏽', '𝄞', '\n', 'ij']
const words = (maxPieces = 6) => {
  let text = ''
  for (let i = int(1, maxPieces); i > 0; i--) text += pick(PIECES)
  return text
}

// Positions between code points, so that no edit splits a surrogate pair (an editor never does).
const boundaries = (text) => {
  const result = [0]
  let offset = 0
  for (const ch of text) {
    offset += ch.length
    result.push(offset)
  }
  return result
}

const randomValue = (depth = 0) => {
  switch (int(0, depth > 1 ? 6 : 9)) {
    case 0: return int(-1000, 1000)
    case 1: return gen.next() * 1e6 - 5e5
    case 2: return words()
    case 3: return chance(0.5)
    case 4: return null
    case 5: return 2 ** 40 + int(0, 10)
    case 6: return ''
    case 7: return [randomValue(depth + 1), randomValue(depth + 1)]
    case 8: return { k: randomValue(depth + 1), ' é🙂': randomValue(depth + 1) }
    default: return prng.uint8Array(gen, int(0, 5))
  }
}

const describe = (update) => {
  const { structs, ds } = Y.decodeUpdate(update)
  const typeRef = (type) => {
    if (type instanceof Y.XmlHook) return 5
    if (type instanceof Y.XmlText) return 6
    if (type instanceof Y.XmlElement) return 3
    if (type instanceof Y.XmlFragment) return 4
    if (type instanceof Y.Array) return 0
    if (type instanceof Y.Map) return 1
    if (type instanceof Y.Text) return 2
    throw new Error('unknown type')
  }
  const id = (value) => (value ? [value.client, value.clock] : null)
  return {
    structs: structs.map((s) => {
      if (s instanceof Y.GC) return ['gc', s.id.client, s.id.clock, s.length]
      if (s instanceof Y.Skip) return ['skip', s.id.client, s.id.clock, s.length]
      const parent = s.parent
      return [
        'item', s.id.client, s.id.clock, s.length, id(s.origin), id(s.rightOrigin),
        typeof parent === 'string' ? parent : null,
        parent && typeof parent !== 'string' ? id(parent) : null,
        s.parentSub,
        s.content.getRef(),
        s.content instanceof Y.ContentType ? typeRef(s.content.type) : null
      ]
    }),
    ds: [...ds.clients.entries()].flatMap(
      ([client, items]) => items.map((item) => [client, item.clock, item.len]))
  }
}

const emit = (record) => process.stdout.write(JSON.stringify(record) + '\n')
const emitUpdate = (update) => emit({ kind: 'update', hex: toHex(update), ...describe(update) })

// -- corpus: every kind of content and type Yjs can write, for the reader ------------------------

// plain: only typing and deleting, as eenplan's editor does (no formats or embeds, which take
// places in the text that toString() does not show).
const editText = (text, plain = false) => {
  const content = text.toString()
  const places = boundaries(content)
  const at = pick(places)
  const roll = plain ? int(0, 6) : int(0, 9)
  if (roll < 5 || content.length === 0) {
    text.insert(at, words(), !plain && chance(0.2) ? { bold: true } : undefined)
  } else if (roll < 7) {
    const end = pick(places.filter((p) => p >= at))
    if (end > at) text.delete(at, end - at)
  } else if (roll < 9) {
    const end = pick(places.filter((p) => p >= at))
    if (end > at) text.format(at, end - at, chance(0.5) ? { italic: true } : { italic: null })
  } else {
    text.insertEmbed(at, { image: words() }, chance(0.5) ? { alt: 'x' } : undefined)
  }
}

const newNested = (depth) => {
  const roll = int(0, depth > 2 ? 2 : 5)
  if (roll === 0) return randomValue()
  if (roll === 1) return prng.uint8Array(gen, int(1, 4))
  if (roll === 2) return new Y.Text(words())
  if (roll === 3) {
    const array = new Y.Array()
    array.insert(0, [randomValue(), randomValue()])
    return array
  }
  if (roll === 4) {
    const map = new Y.Map()
    map.set('x', randomValue())
    return map
  }
  return new Y.Doc({ guid: 'sub-' + int(0, 1e6) })
}

const editCorpusDoc = (doc, depth = 0) => {
  const roll = int(0, 11)
  if (roll < 4) {
    editText(doc.getText(pick(['t', 'u'])))
  } else if (roll < 6) {
    const array = doc.getArray('a')
    if (array.length > 0 && chance(0.3)) {
      const at = int(0, array.length - 1)
      array.delete(at, int(1, array.length - at))
    } else {
      const values = []
      for (let i = int(1, 3); i > 0; i--) values.push(newNested(depth))
      array.insert(int(0, array.length), values)
    }
  } else if (roll < 8) {
    const map = doc.getMap('m')
    const key = pick(['k', 'l', 'é', '🙂', ''])
    if (map.has(key) && chance(0.3)) map.delete(key)
    else map.set(key, newNested(depth))
  } else if (roll < 9) {
    // Edit inside a nested type, if there is one.
    const nested = doc.getArray('a').toArray().filter((v) => v instanceof Y.AbstractType)
    if (nested.length > 0) {
      const target = pick(nested)
      if (target instanceof Y.Text) editText(target)
      else if (target instanceof Y.Array) target.insert(0, [randomValue(), new Y.Text(words())])
      else if (target instanceof Y.Map) target.set(pick(['x', 'y']), newNested(depth + 1))
    } else {
      editText(doc.getText('t'))
    }
  } else if (roll < 10) {
    const fragment = doc.getXmlFragment('x')
    const element = new Y.XmlElement(pick(['p', 'h1']))
    element.setAttribute('class', words())
    element.insert(0, [new Y.XmlText(words())])
    fragment.insert(int(0, fragment.length), chance(0.8) ? [element] : [new Y.XmlHook('hook')])
  } else if (roll < 11) {
    const fragment = doc.getXmlFragment('x')
    if (fragment.length > 0) fragment.delete(int(0, fragment.length - 1), 1)
  } else {
    doc.getMap('m').set('sub', new Y.Doc({ guid: 'sub-' + int(0, 1e6) }))
  }
}

const corpusSession = () => {
  const people = []
  for (let i = int(1, 3); i > 0; i--) {
    const doc = new Y.Doc({ gc: chance(0.5) })
    // Small ids too (one-byte varints); distinct, or Yjs would pick a new random one.
    doc.clientID = chance(0.2) ? i : prng.uint32(gen, 8, 2 ** 32 - 1)
    people.push(doc)
  }
  const inbox = people.map(() => [])
  people.forEach((doc, i) => {
    doc.on('update', (update, origin) => {
      if (origin === 'remote') return
      emitUpdate(update)
      people.forEach((_, j) => { if (j !== i) inbox[j].push(update) })
    })
  })
  for (let step = int(1, 25); step > 0; step--) {
    const i = int(0, people.length - 1)
    const doc = people[i]
    if (chance(0.3)) {
      doc.transact(() => { for (let n = int(2, 4); n > 0; n--) editCorpusDoc(doc) })
    } else {
      editCorpusDoc(doc)
    }
    if (chance(0.4)) {
      const j = int(0, people.length - 1)
      for (const update of inbox[j].splice(0)) Y.applyUpdate(people[j], update, 'remote')
    }
  }
  // Whole states and diffs against another's state vector: merged structs and offsets.
  for (const doc of people) {
    emitUpdate(Y.encodeStateAsUpdate(doc))
    emitUpdate(Y.encodeStateAsUpdate(doc, Y.encodeStateVector(pick(people))))
  }
  if (people.length > 1) {
    emitUpdate(Y.mergeUpdates(people.map((doc) => Y.encodeStateAsUpdate(doc))))
  }
}

// -- honest sessions on documents shaped like eenplan's sections ---------------------------------

const GROUPS = ['steun', 'wonen', 'school_werk', 'inkomen', 'welzijn']
const RECORD_TEXTS = ['huidige_situatie', 'norm', 'wens_jongere']
const randomId = () => 'id' + int(0, 1e9)

// One edit the way the editor makes it (frontend/src): list items are maps created with their
// fields, texts are edited at code point boundaries, values are set in maps.
const editPlan = (doc) => {
  const goals = doc.getArray('doelen')
  const roll = int(0, 9)
  if (roll < 2 || goals.length === 0) {
    const goal = new Y.Map()
    goal.set('id', randomId())
    goal.set('doel', new Y.Text(chance(0.5) ? words() : ''))
    goal.set('status', 'actief')
    goal.set('order', gen.next())
    const actions = new Y.Array()
    goal.set('acties', actions)
    goals.insert(int(0, goals.length), [goal])
    if (chance(0.5)) {
      const action = new Y.Map()
      action.set('id', randomId())
      action.set('wat', new Y.Text(words()))
      actions.push([action])
    }
    return
  }
  const goal = goals.get(int(0, goals.length - 1))
  if (roll < 6) {
    editText(goal.get('doel'), true)
  } else if (roll < 7) {
    goal.set(pick(['status', 'prioriteit', 'domein']), pick(['actief', 'hoog', 'wonen', 'gehaald']))
  } else if (roll < 8) {
    const actions = goal.get('acties')
    if (actions.length > 0 && chance(0.5)) {
      const action = actions.get(int(0, actions.length - 1))
      if (chance(0.3)) actions.delete(int(0, actions.length - 1), 1)
      else editText(action.get('wat'), true)
    } else {
      const action = new Y.Map()
      action.set('id', randomId())
      action.set('wat', new Y.Text(words()))
      action.set('status', 'te_doen')
      actions.insert(int(0, actions.length), [action])
    }
  } else if (roll < 9) {
    goal.set('order', gen.next())
  } else {
    goals.delete(int(0, goals.length - 1), 1)
  }
}

const editPerspectief = (doc) => {
  const group = pick(GROUPS)
  const roll = int(0, 9)
  if (roll < 6) {
    editText(doc.getText(`domein.${group}.${pick(RECORD_TEXTS)}`), true)
  } else if (roll < 8) {
    doc.getMap(`domein.${group}`).set(pick(['schaal_jongere', 'zelfredzaamheid']), int(0, 10))
  } else if (roll < 9) {
    doc.getMap(`domein.${group}`).set(`bijdrage.${pick(['zelf', 'netwerk', 'hulp'])}`, chance(0.5))
  } else {
    const map = doc.getMap(`domein.${group}`)
    const keys = [...map.keys()]
    if (keys.length > 0) map.delete(pick(keys))
  }
}

const honestSession = (offline) => {
  const section = pick(['plan', 'perspectief'])
  const edit = section === 'plan' ? editPlan : editPerspectief
  const server = new Y.Doc({ gc: false })
  const people = []
  for (let i = int(2, 3); i > 0; i--) {
    const doc = new Y.Doc({ gc: false }) // like the editor
    doc.clientID = prng.uint32(gen, 1, 2 ** 32 - 1) // distinct but for a 1 in 10^9 chance
    people.push({ name: 'p' + i, doc, outbox: [], online: true })
  }
  const received = []
  const deliver = (person, update) => {
    received.push([person.name, toHex(update)])
    Y.applyUpdate(server, update)
    for (const other of people) {
      if (other !== person && other.online) Y.applyUpdate(other.doc, update, 'remote')
    }
  }
  for (const person of people) {
    person.doc.on('update', (update, origin) => {
      if (origin !== 'remote' && person.online) person.outbox.push(update)
    })
  }
  const reconnect = (person) => {
    // The way y-websocket syncs: each side sends what the other lacks. The provider sends
    // local changes as soon as the socket is open, so a change made during this handshake
    // may reach the server before the changes made offline.
    person.online = true
    const serverState = Y.encodeStateVector(server)
    if (chance(0.5)) {
      edit(person.doc)
      for (const update of person.outbox.splice(0)) deliver(person, update)
    }
    Y.applyUpdate(person.doc, Y.encodeStateAsUpdate(server, Y.encodeStateVector(person.doc)), 'remote')
    deliver(person, Y.encodeStateAsUpdate(person.doc, serverState))
  }
  const away = offline ? pick(people) : null
  const steps = int(5, 40)
  for (let step = 0; step < steps; step++) {
    if (away && step === 2) away.online = false
    if (away && step === steps - 3) reconnect(away)
    const person = pick(people)
    edit(person.doc)
    if (person.online && chance(0.7)) {
      for (const update of person.outbox.splice(0)) deliver(person, update)
    }
  }
  if (away && !away.online) reconnect(away)
  for (const person of people) {
    for (const update of person.outbox.splice(0)) deliver(person, update)
  }
  emit({
    kind: 'session', section, offline, updates: received, state: toHex(Y.encodeStateVector(server))
  })
}

for (let i = 0; i < options.corpusSessions; i++) corpusSession()
for (let i = 0; i < options.honestSessions; i++) honestSession(false)
for (let i = 0; i < (options.offlineSessions ?? 0); i++) honestSession(true)

// Builds app/static/editor.bundle.js from frontend/src (run: npm run build, or make bundle).
// The bundle is committed, so running eenplan needs no Node. Versions come from package-lock.json.
import { build } from 'esbuild'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))
const version = (name) => lock.packages[`node_modules/${name}`]?.version ?? '?'
const banner = '/* eenplan editor — built by frontend/build.mjs from frontend/src; ' +
  ['yjs', 'y-websocket', 'y-protocols', 'lib0'].map((n) => `${n} ${version(n)}`).join(', ') + ' */'

await build({
  entryPoints: [join(root, 'frontend/src/main.js')],
  outfile: join(root, 'app/static/editor.bundle.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  banner: { js: banner },
  legalComments: 'none',
  logLevel: 'info'
})

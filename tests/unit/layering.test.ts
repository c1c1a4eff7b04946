// The layering check that `npm run lint` runs on the project (.dependency-cruiser.cjs), run here on a small tree
// with one planted fault per rule: each must be reported, and a clean tree must pass.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'

const PROJECT = resolve(import.meta.dirname, '../..')
const DEPCRUISE = join(PROJECT, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs')

/** A clean tree in the project's layout: the engine and the window each import the contract. */
const CLEAN: Record<string, string> = {
  'main/contract/index.ts': 'export interface Health { ok: boolean }\n',
  'main/engine/engine.ts': "import type { Health } from '../contract/index.ts'\nexport const health: Health = { ok: true }\n",
  'main/ui/bridge.ts': "import { health } from '../engine/engine.ts'\nexport const answer = () => health\n",
  'main/app/index.ts': "import { app } from 'electron'\nimport { answer } from '../ui/bridge.ts'\nexport const start = () => [app, answer]\n",
  'preload/index.ts': "import { contextBridge } from 'electron'\nimport type { Health } from '../main/contract/index.ts'\nexport const expose = (health: Health) => contextBridge.exposeInMainWorld('api', health)\n",
  'renderer/view.ts': "import type { Health } from '../main/contract/index.ts'\nexport const show = (health: Health) => String(health.ok)\n",
}

let dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
  dirs = []
})

/** Runs the project's own check on a tree of files; returns the rules it reported, with the file that broke each. */
async function check(files: Record<string, string>): Promise<{ passed: boolean; violations: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'vault-tray-layering-'))
  dirs.push(dir)
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), text)
  }
  const args = [DEPCRUISE, '--config', join(PROJECT, '.dependency-cruiser.cjs'), '--output-type', 'json', 'main', 'preload', 'renderer']
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: dir }).catch((error: { stdout: string }) => error)
  const report = JSON.parse(stdout) as { summary: { error: number; violations: { rule: { name: string }; from: string }[] } }
  return { passed: report.summary.error === 0, violations: report.summary.violations.map((v) => `${v.rule.name}: ${v.from}`).sort() }
}

describe('the layering check', () => {
  it('passes the layout as ARCHITECTURE.md draws it', async () => {
    expect(await check(CLEAN)).toEqual({ passed: true, violations: [] })
  })

  it('fails on an import circle, type-only imports included', async () => {
    const result = await check({
      ...CLEAN,
      'main/engine/a.ts': "import type { B } from './b.ts'\nexport interface A { b?: B }\n",
      'main/engine/b.ts': "import type { A } from './a.ts'\nexport interface B { a?: A }\n",
    })
    expect(result.passed).toBe(false)
    // a circle is reported once, where the check entered it
    expect(result.violations).toEqual(['no-circle: main/engine/a.ts'])
  })

  it('fails on electron outside the shell and preload, however it is imported', async () => {
    const result = await check({
      ...CLEAN,
      'main/engine/notify.ts': "import { Notification } from 'electron'\nexport const notify = () => new Notification()\n",
      'main/engine/types.ts': "import type { App } from 'electron'\nexport type Shell = App\n",
      'main/engine/lazy.ts': "export const load = () => import('electron')\n",
      'main/engine/required.cjs': "module.exports = require('electron')\n",
      'main/ui/ipc.ts': "import { ipcRenderer } from 'electron/renderer'\nexport const ipc = ipcRenderer\n",
      'renderer/clipboard.ts': "import { clipboard } from 'electron'\nexport const copy = clipboard\n",
    })
    expect(result.violations).toEqual([
      'electron-only-in-the-shell: main/engine/lazy.ts',
      'electron-only-in-the-shell: main/engine/notify.ts',
      'electron-only-in-the-shell: main/engine/required.cjs',
      'electron-only-in-the-shell: main/engine/types.ts',
      'electron-only-in-the-shell: main/ui/ipc.ts',
      'electron-only-in-the-shell: renderer/clipboard.ts',
    ])
  })

  it('fails on the engine importing the shell, the bridge or the window', async () => {
    const result = await check({
      ...CLEAN,
      'main/engine/tray.ts': "import { start } from '../app/index.ts'\nexport const tray = start\n",
      'main/engine/view.ts': "import { show } from '../../renderer/view.ts'\nexport const view = show\n",
    })
    expect(result.violations).toEqual(['engine-is-headless: main/engine/tray.ts', 'engine-is-headless: main/engine/view.ts'])
  })

  it('fails on the window importing main other than through the contract', async () => {
    const result = await check({ ...CLEAN, 'renderer/status.ts': "import { health } from '../main/engine/engine.ts'\nexport const status = health\n" })
    expect(result.violations).toEqual(['window-sees-only-the-contract: renderer/status.ts'])
  })

  it('fails on a contract that imports the engine or a package', async () => {
    const result = await check({
      ...CLEAN,
      'main/contract/index.ts': "import { health } from '../engine/engine.ts'\nexport interface Health { ok: boolean }\nexport const initial = health\n",
      'main/contract/yaml.ts': "import { dump } from 'js-yaml'\nexport const toYaml = dump\n",
    })
    // the contract importing the engine that imports it is a circle as well
    expect(result.violations).toEqual([
      'contract-at-the-bottom: main/contract/index.ts',
      'contract-at-the-bottom: main/contract/yaml.ts',
      'no-circle: main/contract/index.ts',
    ])
  })

  it('fails on the bridge importing the shell', async () => {
    const result = await check({ ...CLEAN, 'main/ui/menu.ts': "import { start } from '../app/index.ts'\nexport const menu = start\n" })
    expect(result.violations).toEqual(['bridge-without-shell: main/ui/menu.ts'])
  })
})

// The daemon serves the renderer that Vite built; this builds it when it is missing or older than its sources,
// so `npm start -- --ui` works on a fresh checkout without a separate build step.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

const PROJECT = resolve(import.meta.dirname, '../..')
const CONFIG = join(PROJECT, 'vite.renderer.config.ts')
export const RENDERER_OUT = join(PROJECT, 'out/renderer')
// written by the build itself (vite.renderer.config.ts), whether the daemon or `npm run build:renderer` ran it
const STAMP = '.vault-tray-built'

/** The newest modification time of the renderer's sources: its folder, the contract, and the build config. */
function newestSource(): number {
  let newest = 0
  const visit = (path: string) => {
    const stat = statSync(path)
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry))
    else newest = Math.max(newest, stat.mtimeMs)
  }
  for (const path of [join(PROJECT, 'renderer'), join(PROJECT, 'main/contract'), CONFIG, join(PROJECT, 'svelte.config.js')]) visit(path)
  return newest
}

export function rendererIsFresh(dir = RENDERER_OUT): boolean {
  const stamp = join(dir, STAMP)
  return existsSync(join(dir, 'index.html')) && existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource()
}

/** Builds the renderer into out/renderer unless it is already fresh; returns the folder to serve. */
export async function ensureRendererBuilt(log: (line: string) => void = () => {}): Promise<string> {
  if (rendererIsFresh()) return RENDERER_OUT
  log('ui     building the renderer (vite build)…')
  const { build } = await import('vite')
  // built aside and moved into place, so a second daemon never serves a half-written folder
  const staging = `${RENDERER_OUT}.${process.pid}`
  await build({ configFile: CONFIG, build: { outDir: staging, emptyOutDir: true } })
  rmSync(RENDERER_OUT, { recursive: true, force: true })
  try {
    renameSync(staging, RENDERER_OUT)
  } catch (error) {
    // another daemon finished its build first: serve that one
    rmSync(staging, { recursive: true, force: true })
    if (!rendererIsFresh()) throw error
  }
  return RENDERER_OUT
}

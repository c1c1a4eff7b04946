// The renderer on its own, as the daemon's browser twin serves it (`npm run build:renderer`); the Electron
// build (electron.vite.config.ts) bundles the same root with the same plugin.
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig, type Plugin } from 'vite'

export const RENDERER_ROOT = resolve(import.meta.dirname, 'renderer')

/** Marks a finished build, so the daemon knows it is newer than the sources (main/ui/renderer-build.ts). */
export const BUILT_STAMP = '.vault-tray-built'
function stampBuild(): Plugin {
  let outDir = ''
  return {
    name: 'vault-tray-built-stamp',
    configResolved: (config) => void (outDir = config.build.outDir),
    closeBundle: () => writeFileSync(join(outDir, BUILT_STAMP), ''),
  }
}

export default defineConfig({
  root: RENDERER_ROOT,
  // relative asset URLs: the same bundle works from file:// (Electron) and http://127.0.0.1 (the daemon)
  base: './',
  plugins: [svelte({ configFile: resolve(import.meta.dirname, 'svelte.config.js') }), stampBuild()],
  logLevel: 'warn',
  build: {
    outDir: resolve(import.meta.dirname, 'out/renderer'),
    emptyOutDir: true,
    // no inline scripts or data: modules, so the strict CSP holds
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
})

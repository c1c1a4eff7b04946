// The Electron shell: a tray, one window, and IPC to the engine. Everything else lives in main/engine.
import { join } from 'node:path'
import { app, BrowserWindow, Menu, nativeImage, session, Tray } from 'electron'
import { Engine } from '../engine/engine.ts'
import { loadKubeConfig } from '../engine/kube/contexts.ts'
import { vaultSettingsFromEnv } from '../engine/vault/connection.ts'
import { bridgeContext, engineBridge } from '../ui/bridge/index.ts'
import { registerHandlers } from './ipc.ts'

const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

let tray: Tray | undefined
let window: BrowserWindow | undefined

function rendererUrl(): string {
  // electron-vite serves the renderer in development and bundles it for builds
  return process.env.ELECTRON_RENDERER_URL ?? `file://${join(import.meta.dirname, '../renderer/index.html')}`
}

function openWindow(): void {
  if (window && !window.isDestroyed()) return window.show()
  window = new BrowserWindow({
    width: 960,
    height: 640,
    title: 'Vault Tray',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
    },
  })
  // no remote content: the window shows the bundled renderer and nothing else
  window.webContents.on('will-navigate', (event) => event.preventDefault())
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }))
  void window.loadURL(rendererUrl())
}

async function start(): Promise<void> {
  await app.whenReady()
  session.defaultSession.webRequest.onHeadersReceived((details, callback) =>
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } }),
  )
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))

  const engine = new Engine({ vault: vaultSettingsFromEnv(), kube: loadKubeConfig(), healthIntervalMs: 10_000 })
  // the same handlers and push hints as the daemon's browser twin (main/ui)
  const bridge = engineBridge(bridgeContext(engine, process.env))
  bridge.subscribe((channel, payload) => window?.webContents.send(channel, payload))
  registerHandlers(bridge.handlers, (event) => event.senderFrame?.url.startsWith(rendererUrl().replace(/index\.html$/, '')) ?? false)
  engine.start()

  tray = new Tray(nativeImage.createFromPath(join(import.meta.dirname, '../../resources/tray.png')))
  tray.setToolTip('Vault Tray')
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Open Vault Tray', click: openWindow },
      { type: 'separator' },
      { label: 'Quit', click: () => app.quit() },
    ]),
  )
  openWindow()
  app.on('window-all-closed', () => {
    // a tray app keeps running without a window
  })
  app.on('before-quit', () => engine.stop())
}

void start()

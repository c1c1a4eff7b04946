// The Electron shell: a tray whose colour tells the worst state, its menu, desktop notifications, one window, and
// IPC to the engine. Everything it decides is in pure modules beside it (security, tray-state, tray-menu,
// notifications); the engine lives in main/engine and the API in main/ui/bridge, shared with the daemon.
import { join } from 'node:path'
import { SystemKeychain } from '../engine/cache/keychain.ts'
import { defaultCacheDir, syncClientCacheFile } from '../engine/settings.ts'
import { app, BrowserWindow, clipboard, Menu, nativeImage, Notification, session, Tray, type MenuItemConstructorOptions } from 'electron'
import type { LeaseView } from '../contract/index.ts'
import { Engine } from '../engine/engine.ts'
import { listContexts, loadKubeConfig } from '../engine/kube/contexts.ts'
import { vaultSettingsFromEnv } from '../engine/vault/connection.ts'
import { userProxyOptions } from '../engine/proxy/persistent-cache.ts'
import { bridgeContext, engineBridge } from '../ui/bridge/index.ts'
import { registerHandlers } from './ipc.ts'
import { notificationsFor, type WatchedState } from './notifications.ts'
import { ALLOWED_PERMISSIONS, CONTENT_SECURITY_POLICY, isRendererFrame, mayNavigate, WEB_PREFERENCES } from './security.ts'
import { trayMenu, type TrayCommand, type TrayMenuItem } from './tray-menu.ts'
import { trayState, type TrayState } from './tray-state.ts'

/** How often the tray looks at leases (their countdown moves without any event). */
const TRAY_REFRESH_MS = 15_000

let tray: Tray | undefined
let window: BrowserWindow | undefined

function rendererUrl(): string {
  // electron-vite serves the renderer in development and bundles it for builds
  return process.env.ELECTRON_RENDERER_URL ?? `file://${join(import.meta.dirname, '../renderer/index.html')}`
}

function openWindow(): void {
  if (window && !window.isDestroyed()) {
    if (window.isMinimized()) window.restore()
    return window.show()
  }
  window = new BrowserWindow({ width: 1100, height: 720, title: 'Vault Tray', webPreferences: { ...WEB_PREFERENCES, preload: join(import.meta.dirname, '../preload/index.cjs') } })
  // no remote content: the window shows the bundled renderer and nothing else
  window.webContents.on('will-navigate', (event, url) => mayNavigate(url, rendererUrl()) || event.preventDefault())
  window.webContents.on('will-attach-webview', (event) => event.preventDefault())
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }))
  void window.loadURL(rendererUrl())
}

const icon = (state: TrayState) => nativeImage.createFromPath(join(import.meta.dirname, `../../resources/tray-${state}.png`))

async function start(): Promise<void> {
  // a second launch focuses the window of the first
  if (!app.requestSingleInstanceLock()) return app.quit()
  app.on('second-instance', openWindow)
  await app.whenReady()
  session.defaultSession.webRequest.onHeadersReceived((details, callback) =>
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } }),
  )
  session.defaultSession.setPermissionRequestHandler((contents, permission, callback) => callback(ALLOWED_PERMISSIONS.has(permission) && isRendererFrame(contents.getURL(), rendererUrl())))
  session.defaultSession.setPermissionCheckHandler((_contents, permission, origin) => ALLOWED_PERMISSIONS.has(permission) && isRendererFrame(origin, rendererUrl()))

  const kube = loadKubeConfig()
  const engine = new Engine({ vault: vaultSettingsFromEnv(), kube, healthIntervalMs: 10_000 })
  // the sync engine keeps its Vault tokens in the encrypted client cache of Settings' cache folder
  const syncOptions = (name: string | undefined, cacheDir: string) => ({ clientCache: { file: syncClientCacheFile(cacheDir, name ?? kube?.config.getCurrentContext() ?? 'default'), keychain: new SystemKeychain() } })
  let cacheDir = defaultCacheDir(process.env)
  const context = bridgeContext(engine, process.env, async (name) => void (await engine.startSync(name, syncOptions(name, cacheDir))), clipboard)
  // the same handlers and push hints as the daemon's browser twin (main/ui)
  const bridge = engineBridge(context)
  bridge.subscribe((channel, payload) => window?.webContents.send(channel, payload))
  registerHandlers(bridge.handlers, (event) => isRendererFrame(event.senderFrame?.url, rendererUrl()))
  engine.start()
  const settings = await bridge.handlers['settings:get']().catch(() => undefined)
  if (settings?.cacheDir) cacheDir = settings.cacheDir
  if (settings?.kubeContext || kube) await engine.startSync(settings?.kubeContext, syncOptions(settings?.kubeContext, cacheDir)).catch((error: unknown) => console.error(`sync: ${(error as Error).message}`))
  // the local proxy on Settings' port, as `npm start -- --proxy` runs it; the CLI's token only subscribes to events
  await engine.startProxy({ port: settings?.proxyPort ?? 8100, ...userProxyOptions(process.env, cacheDir, settings?.proxyPersist) }).catch((error: unknown) => console.error(`proxy: ${(error as Error).message}`))
  // a tray app starts with the session; a development run does not register itself
  if (app.isPackaged) app.setLoginItemSettings({ openAtLogin: true })

  tray = new Tray(icon('ok'))
  let paused = false
  let last: WatchedState | undefined
  let health = await engine.checkHealth().catch(() => undefined)
  engine.events.on('health', (report) => (health = report))

  const run = (command: TrayCommand) => {
    if (command.kind === 'open-window') openWindow()
    else if (command.kind === 'quit') app.quit()
    else if (command.kind === 'switch-context') void engine.startSync(command.context, syncOptions(command.context, cacheDir))
    else if (command.kind === 'copy-proxy-export' && engine.proxy) clipboard.writeText(`export VAULT_ADDR=${engine.proxy.address}`)
    else if (command.kind === 'pause-sync') {
      paused = command.paused
      for (const record of engine.sync?.records() ?? []) engine.sync?.setPaused(record.key, paused)
      void refresh()
    }
  }
  const toElectron = (items: TrayMenuItem[]): MenuItemConstructorOptions[] =>
    items.map((item) =>
      item.type === 'separator'
        ? { type: 'separator' }
        : item.type === 'submenu'
          ? { label: item.label, submenu: toElectron(item.items) }
          : { type: item.type, label: item.label, enabled: item.type === 'radio' || item.enabled, checked: item.type === 'radio' ? item.checked : undefined, click: item.command && (() => run(item.command!)) },
    )

  const refresh = async () => {
    const leases: LeaseView[] = await bridge.handlers['leases:list']().catch(() => [])
    const now = Date.now()
    const state: WatchedState = { health, records: engine.sync?.records() ?? [], leases, now }
    const { state: worst, reason } = trayState(state)
    tray?.setImage(icon(worst))
    tray?.setToolTip(`Vault Tray: ${reason}`)
    const contexts = kube ? listContexts(kube).map((entry) => entry.name) : []
    tray?.setContextMenu(Menu.buildFromTemplate(toElectron(trayMenu({ reason, vaultAddress: vaultSettingsFromEnv().address, context: engine.sync?.kube.context, contexts, syncRunning: Boolean(engine.sync), syncPaused: paused, proxyAddress: engine.proxy?.address }))))
    const enabled = (await bridge.handlers['settings:get']().catch(() => settings))?.notifications ?? true
    for (const notice of notificationsFor(last, state, enabled)) {
      const shown = new Notification({ title: notice.title, body: notice.body })
      shown.on('click', openWindow)
      shown.show()
    }
    last = state
  }
  engine.events.on('health', () => void refresh())
  engine.events.on('sync', () => void refresh())
  setInterval(() => void refresh(), TRAY_REFRESH_MS)
  await refresh()
  tray.on('click', openWindow)

  openWindow()
  app.on('window-all-closed', () => {
    // a tray app keeps running without a window
  })
  app.on('before-quit', () => {
    engine.stop()
    void bridge.stop()
    void engine.stopSync()
    void engine.stopProxy()
  })
}

void start()

// The window's security settings in one place, pure so tests assert them without Electron: what the renderer may
// do (nothing beyond its own bundle and the preload's API), which frames may call the API, and how a call is
// checked before any handler runs.
import { ARGUMENT_CHECKS, isInvokeChannel, type Envelope, type InvokeHandlers } from '../contract/index.ts'

/** webPreferences of the one window: isolated, sandboxed, no Node, no <webview>, no remote content. */
export const WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webviewTag: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  spellcheck: false,
} as const

/** The bundled renderer may load its own files, nothing else; it talks to main over IPC only. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** Permissions the window may have: writing the clipboard (Copy in Inspect and Proxy), and nothing else. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write'])

/** Whether a frame at `frameUrl` is the bundled renderer (same origin and under its folder). */
export function isRendererFrame(frameUrl: string | undefined, rendererUrl: string): boolean {
  if (!frameUrl) return false
  try {
    const frame = new URL(frameUrl)
    const renderer = new URL(rendererUrl)
    const folder = renderer.pathname.replace(/[^/]*$/, '')
    return frame.protocol === renderer.protocol && frame.host === renderer.host && frame.pathname.startsWith(folder)
  } catch {
    return false
  }
}

/** The window never navigates away from the renderer: links to elsewhere are refused. */
export function mayNavigate(targetUrl: string, rendererUrl: string): boolean {
  return isRendererFrame(targetUrl, rendererUrl)
}

/**
 * One IPC call, checked and answered: an untrusted sender, an unknown channel or arguments that do not fit the
 * channel get an error envelope and no handler runs; a handler's error travels as data.
 */
export async function answerInvoke(handlers: InvokeHandlers, channel: unknown, args: unknown[], trustedSender: boolean): Promise<Envelope<unknown>> {
  if (!trustedSender) return { ok: false, error: { code: 'forbidden', message: 'request from an untrusted frame' } }
  if (!isInvokeChannel(channel)) return { ok: false, error: { code: 'unknown-channel', message: `no such channel: ${String(channel)}` } }
  const wrong = ARGUMENT_CHECKS[channel](args)
  if (wrong) return { ok: false, error: { code: 'bad-arguments', message: wrong } }
  try {
    return { ok: true, data: await (handlers[channel] as (...a: unknown[]) => Promise<unknown>)(...args) }
  } catch (error) {
    return { ok: false, error: { code: (error as { code?: string }).code ?? 'failed', message: (error as Error).message } }
  }
}

import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startServer } from '../process.ts'

const run = promisify(execFile)

export interface KeychainInfo {
  /** Set DBUS_SESSION_BUS_ADDRESS to this to reach the lab's Secret Service. */
  dbusAddress: string
}

/**
 * gnome-keyring's Secret Service on a private session bus (dbus-run-session), its keyrings in the run dir,
 * unlocked with a random password read from stdin, so the user's own keychain is never touched.
 */
export async function startKeychain(runDir: string, timeoutMs: number, signal: AbortSignal) {
  const dir = join(runDir, 'keychain')
  const runtimeDir = join(dir, 'runtime')
  mkdirSync(runtimeDir, { recursive: true, mode: 0o700 })
  const addressFile = join(dir, 'bus-address')
  const script = 'printf "%s" "$DBUS_SESSION_BUS_ADDRESS" > "$1"; exec gnome-keyring-daemon --foreground --unlock --components=secrets'
  let dbusAddress = ''
  const server = await startServer(
    {
      name: 'keychain',
      command: 'dbus-run-session',
      args: ['--', 'sh', '-c', script, 'sh', addressFile],
      env: { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_RUNTIME_DIR: runtimeDir, DBUS_SESSION_BUS_ADDRESS: '' },
      stdin: randomBytes(18).toString('base64url'),
      logFile: join(dir, 'server.log'),
      timeoutMs,
      isReady: async () => {
        if (!existsSync(addressFile)) return false
        dbusAddress = readFileSync(addressFile, 'utf8')
        if (!dbusAddress) return false
        const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: dbusAddress }
        // Ask the bus, not the Secret Service: a message to org.freedesktop.secrets before gnome-keyring has claimed
        // the name makes dbus-daemon activate a second, locked gnome-keyring, and ours then exits.
        const owned = await run('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'], { env })
        if (!owned.stdout.includes('boolean true')) return false
        // ready once the unlocked login keyring is the default collection, where the keychain client writes
        const alias = await run('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.ReadAlias', 'string:default'], { env })
        if (!alias.stdout.includes('/collection/')) return false
        return true
      },
    },
    signal,
  )
  return { server, info: { dbusAddress } satisfies KeychainInfo }
}

/** Locks the default collection, as a screen lock leaves it: reading a secret then needs a prompt, which is refused. */
export async function lockDefaultCollection(dbusAddress: string): Promise<void> {
  const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: dbusAddress }
  const call = (method: string, argument: string) => run('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', `org.freedesktop.Secret.Service.${method}`, argument], { env })
  const collection = /object path "([^"]+)"/.exec((await call('ReadAlias', 'string:default')).stdout)?.[1]
  if (!collection) throw new Error('the keychain has no default collection to lock')
  await call('Lock', `array:objpath:${collection}`)
}

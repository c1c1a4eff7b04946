import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export interface ServerSpec {
  /** What the user reads in messages: "openbao", "kube-apiserver", … */
  name: string
  command: string
  args: string[]
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** stdout and stderr go here; its tail is shown when the server fails to start. */
  logFile: string
  /** Written to stdin, which is then closed (gnome-keyring reads its unlock password this way). */
  stdin?: string
  /** Run as this user (PostgreSQL refuses to run as root). */
  uid?: number
  gid?: number
  /** Resolves true once the server answers; polled until it does or the time limit passes. */
  isReady: () => Promise<boolean>
  timeoutMs: number
}

export interface RunningServer {
  name: string
  pid: number
  logFile: string
  stop(): Promise<void>
}

export class ServerStartError extends Error {
  constructor(
    readonly server: string,
    reason: string,
    readonly logTail: string,
    /** True when it was stopped because another server failed, not for a fault of its own. */
    readonly aborted = false,
  ) {
    super(`${server} ${reason}.\n--- last lines of its log ---\n${logTail || '(empty)'}\n---`)
    this.name = 'ServerStartError'
  }
}

const POLL_MS = 100
const STOP_GRACE_MS = 5_000

// Process groups still running; killed if this process ends without stopping them (a crash, Ctrl-C, kill).
const liveGroups = new Set<number>()
const killLiveGroups = () => liveGroups.forEach((pid) => killGroup(pid, 'SIGKILL'))
process.once('exit', killLiveGroups)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    if (process.listenerCount(signal) > 0) return // someone else shuts down in order (lab cli, vitest)
    killLiveGroups()
    process.kill(process.pid, signal) // then end as that signal would have ended us
  })
}

/**
 * Starts a server in its own process group and waits until it is ready. If it exits, is aborted or
 * misses its time limit, the whole group is killed before the error is thrown, so nothing is left running.
 */
export async function startServer(spec: ServerSpec, signal?: AbortSignal): Promise<RunningServer> {
  const log = openSync(spec.logFile, 'a')
  const started = performance.now()
  let child: ChildProcess
  try {
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', log, log],
      detached: true,
      uid: spec.uid,
      gid: spec.gid,
    })
  } finally {
    closeSync(log)
  }
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, sig) => resolve(sig ? `was killed by ${sig}` : `exited with code ${code}`))
    child.once('error', (error) => resolve(`could not be started (${error.message})`))
  })
  if (child.pid !== undefined) liveGroups.add(child.pid)
  if (spec.stdin !== undefined) child.stdin?.end(spec.stdin)
  const stop = () => stopGroup(child, exited)

  const fail = async (reason: string, aborted = false): Promise<never> => {
    await stop()
    throw new ServerStartError(spec.name, reason, tailOf(spec.logFile), aborted)
  }

  let exitReason: string | undefined
  void exited.then((reason) => (exitReason = reason))
  const deadline = started + spec.timeoutMs
  for (;;) {
    if (exitReason) return fail(exitReason)
    if (signal?.aborted) return fail('was stopped because another part of the lab failed', true)
    // a probe may hang on a half-started server: it gets what is left of the time limit, no more
    const probe = spec.isReady().catch(() => false)
    const limit = new AbortController()
    const timeLeft = sleep(Math.max(0, deadline - performance.now()), false, { signal: limit.signal }).catch(() => false)
    const ready = await Promise.race([probe, timeLeft])
    limit.abort()
    if (ready) break
    if (performance.now() >= deadline) return fail(`did not become ready within ${spec.timeoutMs} ms`)
    await sleep(POLL_MS)
  }
  return { name: spec.name, pid: child.pid!, logFile: spec.logFile, stop }
}

async function stopGroup(child: ChildProcess, exited: Promise<string>): Promise<void> {
  const pid = child.pid
  if (pid === undefined) return
  if (child.exitCode === null && child.signalCode === null) {
    killGroup(pid, 'SIGTERM')
    await Promise.race([exited, sleep(STOP_GRACE_MS)])
  }
  killGroup(pid, 'SIGKILL') // whatever of the group is left: children of the leader, or a leader that ignored SIGTERM
  await exited
  liveGroups.delete(pid)
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // the group is already gone
  }
}

export function tailOf(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('could not read the port of a probe socket')
  return address.port
}

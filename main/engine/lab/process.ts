// Local servers for the labs: started in their own process group with a readiness check, stopped as a group.
// The test lab's servers die with the test run; the one-click lab's servers outlive the command that started
// them (`outlive`), and are found again later by pid, by port, and by the lab directory in their command line.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

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
  /**
   * Keep running after this process exits (the one-click lab). Without it the server is killed when this
   * process ends, whatever way it ends.
   */
  outlive?: boolean
  /** Called as soon as the process exists, before it is ready, so a caller can record its pid first. */
  onSpawn?: (pid: number) => void
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
let exitHooked = false
function hookExit(): void {
  if (exitHooked) return
  exitHooked = true
  const killLiveGroups = () => liveGroups.forEach((pid) => killGroup(pid, 'SIGKILL'))
  process.once('exit', killLiveGroups)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      if (process.listenerCount(signal) > 0) return // someone else shuts down in order (lab cli, vitest)
      killLiveGroups()
      process.kill(process.pid, signal) // then end as that signal would have ended us
    })
  }
}

/**
 * Starts a server in its own process group and waits until it is ready. If it exits, is aborted or
 * misses its time limit, the whole group is killed before the error is thrown, so nothing is left running.
 */
export async function startServer(spec: ServerSpec, signal?: AbortSignal): Promise<RunningServer> {
  if (!spec.outlive) hookExit()
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
  if (child.pid !== undefined) {
    if (!spec.outlive) liveGroups.add(child.pid)
    spec.onSpawn?.(child.pid)
  }
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
    if (signal?.aborted) return fail('was stopped before it was ready (another part of the lab failed, or it was interrupted)', true)
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
  // this process may now end while the server runs on
  if (spec.outlive) child.unref()
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

/**
 * Stops a process group this process did not start (one a previous `lab up` left running): SIGTERM, then
 * SIGKILL after graceMs. Resolves once the leader is gone.
 */
export async function stopProcessGroup(pid: number, graceMs = STOP_GRACE_MS): Promise<void> {
  killGroup(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (isAlive(pid) && Date.now() < deadline) await sleep(50)
  killGroup(pid, 'SIGKILL')
  try {
    process.kill(pid, 'SIGKILL') // a leader that left its group
  } catch {
    // gone
  }
  for (let waited = 0; isAlive(pid) && waited < 5_000; waited += 50) await sleep(50)
}

/** True while the process exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S …"; comm may hold spaces and parentheses, the state follows the last ')'
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true // no /proc (macOS): kill(0) said it exists
  }
}

/** The command line of a process ("" when it is gone or not ours to read). */
export async function commandLine(pid: number): Promise<string> {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch {
    // no /proc: ask ps (macOS)
  }
  try {
    return (await run('ps', ['-o', 'command=', '-p', String(pid)])).stdout.trim()
  } catch {
    return ''
  }
}

/**
 * Processes whose command line or working directory names `dir` (or a path inside it), other than this process
 * and its ancestors: what a lab directory's servers look like even when their pids were never recorded.
 */
export async function processesUsing(dir: string): Promise<{ pid: number; command: string }[]> {
  const mentions = (text: string) => text === dir || text.includes(`${dir}/`) || text.includes(`${dir}\0`) || text.includes(`${dir} `) || text.endsWith(dir)
  const exclude = ancestors()
  const found: { pid: number; command: string }[] = []
  let pids: number[]
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number)
  } catch {
    const { stdout } = await run('ps', ['-axo', 'pid=,command='])
    return stdout
      .split('\n')
      .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => ({ pid: Number(match[1]), command: match[2]! }))
      .filter((entry) => !exclude.has(entry.pid) && mentions(entry.command))
  }
  for (const pid of pids) {
    if (exclude.has(pid)) continue
    let cmdline: string
    let cwd = ''
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    } catch {
      continue // gone meanwhile
    }
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`)
    } catch {
      // not ours to read
    }
    if (mentions(cmdline) || mentions(cwd)) found.push({ pid, command: cmdline.split('\0').join(' ').trim() })
  }
  return found
}

function ancestors(): Set<number> {
  const pids = new Set<number>([process.pid])
  let pid = process.ppid
  for (let depth = 0; pid > 1 && depth < 64; depth++) {
    pids.add(pid)
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    } catch {
      break
    }
  }
  return pids
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

/** Whether a server could listen on 127.0.0.1:port now. */
export async function isPortFree(port: number): Promise<boolean> {
  const server = createServer()
  const free = await new Promise<boolean>((resolve) => server.once('error', () => resolve(false)).listen(port, '127.0.0.1', () => resolve(true)))
  if (free) await new Promise((resolve) => server.close(resolve))
  return free
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function isListening(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const done = (answer: boolean) => {
      socket.destroy()
      resolve(answer)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

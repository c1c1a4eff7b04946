// Benchmark of the one-click lab as a user runs it (`vault-tray lab …` in a process of its own), binaries cached:
//   1. `lab up` from nothing: its own OpenBao, etcd + kube-apiserver and PostgreSQL, every step, both Secrets synced;
//   2. `lab up` again, all up (BENCH_AGAIN runs, median);
//   3. `lab status`, and `lab down`.
// Each figure is the wall time of the command and, where it prints one, its own figure (without Node's start-up and
// module loading). A private Secret Service (gnome-keyring) holds the root token, as the user's keychain would.
// Run: npm run bench:lab
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { labDown } from '../../main/engine/lab/lab.ts'
import { startKeychain } from '../lab/servers/keychain.ts'

const AGAIN = Number(process.env.BENCH_AGAIN ?? 5)
const runDir = mkdtempSync(join(tmpdir(), 'vault-tray-bench-keychain-'))
// a directory of its own: `lab down` stops whatever runs from it, and the keychain must outlive that
const dir = mkdtempSync(join(tmpdir(), 'vault-tray-bench-lab-'))
const keychain = await startKeychain(runDir, 15_000, new AbortController().signal)

function vaultTray(...args: string[]): Promise<{ ms: number; own?: number; code: number | null; output: string }> {
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', ...args], { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: keychain.info.dbusAddress }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      const own = /\((\d+\.\d)s\)\.$/m.exec(output)?.[1]
      resolve({ ms: Math.round(performance.now() - started), own: own ? Number(own) * 1000 : undefined, code, output })
    }),
  )
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const row = (what: string, wall: number, own?: number) => console.log(`${what.padEnd(34)} ${(wall / 1000).toFixed(2).padStart(6)} s wall${own === undefined ? '' : `   ${(own / 1000).toFixed(1).padStart(5)} s in the command`}`)

try {
  // module loading is cached by the OS after the first run; warm it so the first figure is the lab's, not the disk's
  await vaultTray('lab', 'status', '--dir', dir)
  const first = await vaultTray('lab', 'up', '--dir', dir)
  if (first.code !== 0) throw new Error(`lab up failed:\n${first.output}`)
  const again: { ms: number; own?: number }[] = []
  for (let run = 0; run < AGAIN; run++) {
    const result = await vaultTray('lab', 'up', '--dir', dir)
    if (result.code !== 0 || !result.output.includes('nothing changed')) throw new Error(`lab up again changed something or failed:\n${result.output}`)
    again.push(result)
  }
  const status = await vaultTray('lab', 'status', '--dir', dir)
  const down = await vaultTray('lab', 'down', '--dir', dir)
  if (down.code !== 0) throw new Error(`lab down failed:\n${down.output}`)

  console.log(`one-click lab (${process.platform}, Node ${process.version}); binaries cached\n`)
  row('lab up, from nothing', first.ms, first.own)
  row(`lab up again (median of ${AGAIN})`, median(again.map((run) => run.ms)), median(again.map((run) => run.own ?? 0)))
  row('lab status', status.ms)
  row('lab down', down.ms)
  const startup = await vaultTray('no-such-command')
  row('(a vault-tray command that does nothing)', startup.ms)
} finally {
  await labDown({ dir })
  await keychain.server.stop()
  rmSync(runDir, { recursive: true, force: true })
}

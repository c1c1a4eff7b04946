// The lab's own failure paths: a server that never gets ready, and tools that cannot be installed.
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { buildGoBinary, ToolInstallError } from '../lab/install.ts'
import { LabStartError, startLab } from '../lab/lab.ts'
import { freePort, ServerStartError } from '../lab/process.ts'
import { startKubeApiserver } from '../lab/servers/kube.ts'

/** Pids of processes that run in, were started with, or carry in their environment, the given directory. */
function processesUsing(dir: string): number[] {
  const mentions = (read: () => string) => {
    try {
      return read().includes(dir)
    } catch {
      return false // gone meanwhile, or not ours to read
    }
  }
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) =>
      [() => readFileSync(`/proc/${pid}/cmdline`, 'latin1'), () => readFileSync(`/proc/${pid}/environ`, 'latin1'), () => readlinkSync(`/proc/${pid}/cwd`)].some(mentions),
    )
    .map(Number)
}

const scratch: string[] = []
afterEach(() => scratch.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })))
function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vault-tray-fault-'))
  scratch.push(dir)
  return dir
}

describe('a lab server that does not come up', () => {
  it('fails with the reason and the tail of its log, and is killed', async () => {
    const runDir = scratchDir()
    const deadEtcd = `http://127.0.0.1:${await freePort()}`
    const error = await startKubeApiserver(inject('lab').binaries.kubeApiserver, deadEtcd, runDir, 4_000, new AbortController().signal).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ServerStartError)
    expect((error as Error).message).toMatch(/^kube-apiserver did not become ready within 4000 ms\.\n--- last lines of its log ---\n/)
    // the apiserver says why: it cannot reach its storage
    expect((error as ServerStartError).logTail).toContain(deadEtcd.replace('http://', ''))
    expect(processesUsing(runDir)).toEqual([])
  })

  it('stops the whole lab: no process and no temp dir are left behind', async () => {
    const error = await startLab({ timeoutsMs: { 'kube-apiserver': 1 } }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(LabStartError)
    const { runDir, message } = error as LabStartError
    expect(message).toContain('kube-apiserver did not become ready within 1 ms.\n--- last lines of its log ---')
    expect(existsSync(runDir)).toBe(false)
    expect(processesUsing(runDir)).toEqual([])
  })
})

describe('a lab tool that cannot be installed', () => {
  const binary = (wrapperDir: string) => ({
    name: 'example-server',
    wrapperDir,
    pkg: 'example.invalid/no/such/package',
    version: 'v0.0.1',
    ldflags: '-s -w',
    output: join(wrapperDir, 'bin', 'example-server-v0.0.1'),
  })

  it('names the tool, shows what failed, and how to build it by hand', async () => {
    const wrapperDir = scratchDir()
    writeFileSync(join(wrapperDir, 'go.mod'), 'module example.invalid/wrapper\n\ngo 1.25.0\n')

    const error = await buildGoBinary(binary(wrapperDir)).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ToolInstallError)
    const message = (error as Error).message
    expect(message).toMatch(/^example-server: go build example\.invalid\/no\/such\/package@v0\.0\.1 failed: .*example\.invalid\/no\/such\/package/s)
    expect(message).toContain(`To install it by hand: cd ${wrapperDir} && go build -trimpath -ldflags='-s -w' -o ${binary(wrapperDir).output} example.invalid/no/such/package`)
    expect(existsSync(binary(wrapperDir).output)).toBe(false)
  })

  it('says that Go is missing and how to get it', async () => {
    const path = process.env.PATH
    process.env.PATH = scratchDir()
    try {
      const error = await buildGoBinary(binary(scratchDir())).catch((e: unknown) => e)
      expect((error as Error).message).toMatch(/^example-server: it is built from source and `go` is not on PATH\nTo install it by hand: install Go 1\.26 or newer/)
    } finally {
      process.env.PATH = path
    }
  })
})

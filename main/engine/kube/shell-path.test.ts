// The login shell is a real bash with a fake home, whose rc file prepends a directory and prints noise.
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { userShellPath, withUserPath } from './shell-path.ts'

const bash = execFileSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim()
let home: string
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'shell-path-'))
})
afterEach(() => rmSync(home, { recursive: true, force: true }))

/** What a desktop session hands an app it starts from a menu. */
const guiEnv = () => ({ HOME: home, SHELL: bash, PATH: '/usr/bin:/bin' })

describe('userShellPath', () => {
  it("takes the PATH the user's login rc files build, whatever else they print", async () => {
    const tools = join(home, 'tools', 'bin')
    writeFileSync(join(home, '.bash_profile'), `echo "Welcome back"\nprintf 'PATH looks like %s\\n' "$PATH"\nexport PATH="${tools}:$PATH"\necho bye >&2\n`)
    const found = await userShellPath(guiEnv())
    expect(found.source).toBe('login-shell')
    expect(found.reason).toBeUndefined()
    const entries = found.path.split(':')
    expect(entries[0]).toBe(tools)
    // what the app had is kept, once
    expect(entries).toContain('/usr/bin')
    expect(entries.filter((entry) => entry === '/usr/bin')).toHaveLength(1)
    expect(found.path).not.toMatch(/Welcome|looks like|bye/)
  })

  it('answers without waiting for a daemon the rc file leaves holding stdout', async () => {
    const pidFile = join(home, 'daemon.pid')
    writeFileSync(join(home, '.bash_profile'), `sleep 30 &\necho $! > ${pidFile}\n`)
    const started = performance.now()
    const found = await userShellPath(guiEnv(), { timeoutMs: 10_000 })
    expect(found.source).toBe('login-shell')
    expect(performance.now() - started).toBeLessThan(5_000)
    process.kill(Number(readFileSync(pidFile, 'utf8')))
  })

  it('falls back to the inherited PATH, with the reason, when the rc file hangs, and ends what it started', async () => {
    const pidFile = join(home, 'sleeper.pid')
    writeFileSync(join(home, '.bash_profile'), `sleep 30 &\necho $! > ${pidFile}\nwait\n`)
    const found = await userShellPath(guiEnv(), { timeoutMs: 500 })
    expect(found).toEqual({
      path: '/usr/bin:/bin',
      source: 'inherited',
      reason: `Your login shell ${bash} did not print its PATH within 0.5 s (something in its rc files waits or is slow); exec plugins are looked up in the PATH the app started with.`,
    })
    const sleeper = Number(readFileSync(pidFile, 'utf8'))
    await expect.poll(() => isRunning(sleeper)).toBe(false)
  })

  it('falls back when the shell cannot be started or exits without answering', async () => {
    const missing = await userShellPath({ ...guiEnv(), SHELL: join(home, 'no-such-shell') })
    expect(missing.source).toBe('inherited')
    expect(missing.reason).toMatch(/^Your login shell .*no-such-shell could not be started: spawn .* ENOENT; exec plugins are looked up in the PATH the app started with\.$/)

    writeFileSync(join(home, '.bash_profile'), 'exit 3\n')
    const exited = await userShellPath(guiEnv())
    expect(exited.reason).toMatch(/ended \(exit code 3\) without printing its PATH/)
    expect(exited.path).toBe('/usr/bin:/bin')
  })

  it('leaves Windows alone: its apps get the full PATH', async () => {
    expect(await userShellPath({ PATH: 'C:\\tools' }, { platform: 'win32' })).toEqual({ path: 'C:\\tools', source: 'inherited' })
  })
})

describe('withUserPath', () => {
  function configWith(users: unknown[]): KubeConfig {
    const config = new KubeConfig()
    config.loadFromString(
      JSON.stringify({
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
        users,
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'plugin' } }],
        'current-context': 'x',
      }),
    )
    return config
  }
  const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: 'my-plugin' }

  it("adds PATH to each exec plugin's env and keeps one the kubeconfig sets", () => {
    const config = configWith([
      { name: 'plugin', user: { exec: { ...exec, env: [{ name: 'AWS_PROFILE', value: 'dev' }] } } },
      { name: 'own-path', user: { exec: { ...exec, env: [{ name: 'PATH', value: '/opt/own' }] } } },
      { name: 'token', user: { token: 'abc' } },
    ])
    const copy = withUserPath(config, '/home/me/bin:/usr/bin')
    expect(copy.getUser('plugin')?.exec.env).toEqual([
      { name: 'AWS_PROFILE', value: 'dev' },
      { name: 'PATH', value: '/home/me/bin:/usr/bin' },
    ])
    expect(copy.getUser('own-path')?.exec.env).toEqual([{ name: 'PATH', value: '/opt/own' }])
    expect(copy.getUser('token')).toEqual(config.getUser('token'))
    expect(copy.getCurrentContext()).toBe('x')
    // the original is untouched
    expect(config.getUser('plugin')?.exec.env).toEqual([{ name: 'AWS_PROFILE', value: 'dev' }])
  })

  it('makes client-node find a plugin that only the given PATH holds', async () => {
    const bin = join(home, 'bin')
    mkdirSync(bin)
    const plugin = join(bin, 'my-plugin')
    writeFileSync(plugin, `#!/bin/sh\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin"}}'\n`)
    chmodSync(plugin, 0o755)
    const config = configWith([{ name: 'plugin', user: { exec } }])
    const headers = async (kubeConfig: KubeConfig) => {
      const options: { headers?: Record<string, string> } = {}
      await kubeConfig.applyToHTTPSOptions(options as never)
      return options.headers
    }
    await expect(headers(config)).rejects.toThrow(/ENOENT/)
    expect(await headers(withUserPath(config, `${bin}:/usr/bin:/bin`))).toMatchObject({ Authorization: 'Bearer from-plugin' })
  })
})

/** Alive and not a zombie waiting for init to reap it. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

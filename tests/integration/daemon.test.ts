// `npm start` runs `cli.ts daemon`: it must report the real health of the lab's OpenBao or Vault and apiserver,
// and say plainly what is wrong when either cannot be used.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, inject, it } from 'vitest'
import type { HealthReport } from '../../main/contract/index.ts'

const lab = inject('lab')
const run = promisify(execFile)

async function daemonOnce(env: NodeJS.ProcessEnv, ...flags: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'main/cli.ts', 'daemon', '--once', ...flags], { env: { PATH: process.env.PATH, HOME: lab.runDir, ...env } })
    return { code: 0, stdout }
  } catch (error) {
    const { code, stdout } = error as { code: number; stdout: string }
    return { code, stdout }
  }
}

describe('vault-tray daemon', () => {
  it('uses the Vault address saved in Settings when VAULT_ADDR is not set, and VAULT_ADDR when it is', async () => {
    const config = mkdtempSync(join(lab.runDir, 'settings-'))
    mkdirSync(join(config, 'vault-tray'))
    const saved = { vaultAddress: lab.openbao.address, vaultAuth: { method: 'token' }, proxyPort: 8100, cacheDir: join(config, 'cache'), notifications: true, theme: 'system', clipboardClearSeconds: 20 }
    writeFileSync(join(config, 'vault-tray', 'settings.json'), JSON.stringify(saved))
    const fromSettings = await daemonOnce({ XDG_CONFIG_HOME: config, KUBECONFIG: lab.kube.kubeconfig }, '--json')
    expect((JSON.parse(fromSettings.stdout) as HealthReport).vault).toMatchObject({ address: lab.openbao.address, reachable: true })
    const fromEnv = await daemonOnce({ XDG_CONFIG_HOME: config, KUBECONFIG: lab.kube.kubeconfig, VAULT_ADDR: 'http://127.0.0.1:9' }, '--json')
    expect((JSON.parse(fromEnv.stdout) as HealthReport).vault).toMatchObject({ address: 'http://127.0.0.1:9', reachable: false })
  })

  for (const server of [{ name: 'OpenBao', ...lab.openbao, version: /^2\.\d+\.\d+/ }, { name: 'Vault', ...lab.vault, version: /^1\.14\.\d+$/ }]) {
    it(`reports a healthy, unsealed ${server.name} and the apiserver version of the current context`, async () => {
      const { code, stdout } = await daemonOnce({ VAULT_ADDR: server.address, KUBECONFIG: lab.kube.kubeconfig }, '--json')
      const report = JSON.parse(stdout) as HealthReport
      expect(report.vault).toMatchObject({ reachable: true, initialized: true, sealed: false, standby: false, address: server.address })
      expect(report.vault.reachable && report.vault.version).toMatch(server.version)
      expect(report.kube).toMatchObject({ reachable: true, context: 'lab', server: lab.kube.server, version: 'v1.35.4' })
      expect(code).toBe(0)
    })
  }

  it('says what is wrong, and exits 1, when Vault refuses connections and the cluster rejects the credentials', async () => {
    const badToken = join(lab.runDir, 'bad-token.kubeconfig')
    writeFileSync(badToken, JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'lab', cluster: { server: lab.kube.server, 'certificate-authority-data': Buffer.from(lab.kube.caCert).toString('base64') } }],
      users: [{ name: 'nobody', user: { token: 'not-a-valid-token' } }],
      contexts: [{ name: 'stale', context: { cluster: 'lab', user: 'nobody' } }],
      'current-context': 'stale',
    }))
    const closedPort = 'http://127.0.0.1:9' // discard: nothing listens there on this machine
    const { code, stdout } = await daemonOnce({ VAULT_ADDR: closedPort, KUBECONFIG: badToken })
    expect(stdout).toContain(`Vault at ${closedPort} refused the connection`)
    expect(stdout).toContain(`kube-context "stale" (${lab.kube.server}) rejected its credentials (401)`)
    expect(stdout).not.toContain('not-a-valid-token')
    expect(code).toBe(1)
  })

  it('tells the user to use http:// when VAULT_ADDR says https but the server speaks plain HTTP', async () => {
    const { stdout } = await daemonOnce({ VAULT_ADDR: lab.openbao.address.replace('http:', 'https:'), KUBECONFIG: lab.kube.kubeconfig })
    expect(stdout).toMatch(/did not speak TLS\. If it serves plain HTTP, use http:\/\/ in VAULT_ADDR/)
  })
})

// The token helper, driven by each server's real CLI (bao for OpenBao, vault for Vault): its token lives in the
// keychain, never in ~/.vault-token.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SystemKeychain } from '../../main/engine/cache/keychain.ts'
import { lab, VAULT_SERVERS, type VaultServer } from './helpers.ts'

const run = promisify(execFile)

function suite(server: VaultServer): void {
  // the CLI's name is also its config file's: ~/.bao or ~/.vault
  const cli = server.name === 'OpenBao' ? 'bao' : 'vault'
  let home: string
  let env: NodeJS.ProcessEnv
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'vault-tray-home-'))
    process.env.DBUS_SESSION_BUS_ADDRESS = lab.keychain.dbusAddress
    env = { PATH: process.env.PATH, HOME: home, BAO_ADDR: server.address, VAULT_ADDR: server.address, DBUS_SESSION_BUS_ADDRESS: lab.keychain.dbusAddress }
  })
  afterAll(() => rmSync(home, { recursive: true, force: true }))

  const vaultTray = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'main/cli.ts', ...args], { env })
  const serverCli = (...args: string[]) => run(server.cli, args, { env })

  it(`is switched on in ~/.${cli} without losing the other settings, and off again`, async () => {
    const config = join(home, `.${cli}`)
    writeFileSync(config, "# the user's own notes\n")
    const { stdout } = await vaultTray('token-helper', 'enable', '--cli', cli)
    expect(stdout).toContain(`${config} now sends the ${cli} CLI's token to the OS keychain`)
    const helper = join(process.cwd(), 'bin', 'vault-tray-token-helper')
    expect(readFileSync(config, 'utf8')).toBe(`# the user's own notes\ntoken_helper = ${JSON.stringify(helper)}\n`)
    expect((await vaultTray('token-helper', 'enable', '--cli', cli)).stdout).toContain('nothing changed')

    await vaultTray('token-helper', 'disable', '--cli', cli)
    expect(readFileSync(config, 'utf8')).toBe("# the user's own notes\n")
  })

  it(`keeps the token of \`${cli} login\` in the keychain, serves it to later commands, and erases it`, async () => {
    await vaultTray('token-helper', 'enable', '--cli', cli)
    const { auth } = await server.call<{ auth: { client_token: string; accessor: string } }>('POST', 'auth/token/create', { policies: ['default'], ttl: '10m' })

    await serverCli('login', '-no-print', auth.client_token)
    expect(existsSync(join(home, '.vault-token'))).toBe(false)
    expect(await new SystemKeychain().get(`cli-token:${server.address}`)).toBe(auth.client_token)

    const { stdout } = await serverCli('token', 'lookup', '-format=json')
    expect(JSON.parse(stdout).data.accessor).toBe(auth.accessor)

    await run(join('bin', 'vault-tray-token-helper'), ['erase'], { env })
    expect((await run(join('bin', 'vault-tray-token-helper'), ['get'], { env })).stdout).toBe('')
    await expect(serverCli('token', 'lookup')).rejects.toMatchObject({ stderr: expect.stringMatching(/permission denied|missing client token/) })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))

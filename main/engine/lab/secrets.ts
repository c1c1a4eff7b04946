// The lab's root token, unseal key and PostgreSQL password. Kept in the OS keychain (service `vault-tray-lab`, one
// entry per lab directory), as an operator keeps a Vault's unseal keys and root token out of files and logs.
// Without a usable keychain they go to a 0600 file in the lab directory, with a warning each time: the lab's
// Vault is a throwaway on 127.0.0.1 whose data lies in that same directory, so the file protects it as well as
// the data is protected, and refusing would make the lab unusable on machines with no Secret Service (SSH, WSL,
// containers). `requireKeychain` refuses instead.
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { KeychainUnavailableError, SystemKeychain, type Keychain } from '../cache/keychain.ts'
import type { LabPaths } from './state.ts'

export const LAB_KEYCHAIN_SERVICE = 'vault-tray-lab'

export interface LabSecrets {
  rootToken?: string
  unsealKey?: string
  postgresPassword?: string
}

export class KeychainRequiredError extends Error {}

export class LabSecretStore {
  /** Where they are now; undefined until loaded or saved. */
  where: 'keychain' | 'file' | undefined
  /** Said to the user whenever the file is used. */
  warning: string | undefined
  /** Said once when secrets moved from the file into the keychain. */
  moved: string | undefined
  #keychainProblem: string | undefined

  /** Why the keychain cannot be used, once a load or save found out. */
  get keychainProblem(): string | undefined {
    return this.#keychainProblem
  }

  constructor(
    private readonly paths: LabPaths,
    private readonly keychain: Keychain = new SystemKeychain(LAB_KEYCHAIN_SERVICE),
    private readonly requireKeychain = false,
  ) {}

  /** The keychain account: the lab directory, so two labs never share an entry. */
  get account(): string {
    return this.paths.dir
  }

  /** `move`: when the keychain works again, take the secrets out of the fallback file (not in `lab status`). */
  async load(options: { move?: boolean } = {}): Promise<LabSecrets> {
    const fromFile = this.#readFile()
    let stored: string | null
    try {
      stored = await this.keychain.get(this.account)
    } catch (error) {
      if (!(error instanceof KeychainUnavailableError)) throw error
      this.#keychainProblem = error.message
      if (!fromFile) return {}
      this.#useFile()
      return fromFile
    }
    if (fromFile && options.move === false) {
      this.#useFile()
      return { ...fromFile, ...(stored ? (JSON.parse(stored) as LabSecrets) : {}) }
    }
    if (fromFile) {
      // the keychain works again: move them there and drop the file
      const merged = { ...fromFile, ...(stored ? (JSON.parse(stored) as LabSecrets) : {}) }
      await this.keychain.set(this.account, JSON.stringify(merged))
      rmSync(this.paths.secretsFile, { force: true })
      this.moved = `The lab's root token, unseal key and PostgreSQL password were moved from ${this.paths.secretsFile} into the OS keychain (service ${LAB_KEYCHAIN_SERVICE}), and the file removed.`
      this.where = 'keychain'
      return merged
    }
    if (stored === null) return {}
    this.where = 'keychain'
    return JSON.parse(stored) as LabSecrets
  }

  async save(secrets: LabSecrets): Promise<void> {
    if (this.#keychainProblem === undefined) {
      try {
        await this.keychain.set(this.account, JSON.stringify(secrets))
        this.where = 'keychain'
        return
      } catch (error) {
        if (!(error instanceof KeychainUnavailableError)) throw error
        this.#keychainProblem = error.message
      }
    }
    if (this.requireKeychain) {
      throw new KeychainRequiredError(`${this.#keychainProblem} The lab keeps its root token and unseal key only there (--require-keychain), so it stopped before creating them. Start or unlock a keychain and run \`vault-tray lab up\` again, or leave out --require-keychain to keep them in a 0600 file in ${this.paths.dir}.`)
    }
    writeFileSync(this.paths.secretsFile, `${JSON.stringify(secrets)}\n`, { mode: 0o600 })
    chmodSync(this.paths.secretsFile, 0o600) // an older file keeps its mode on write
    this.#useFile()
  }

  /** Deletes the keychain entry and the file; says what could not be deleted. */
  async clear(): Promise<{ keychain: 'deleted' | 'absent' | string; file: boolean }> {
    const file = existsSync(this.paths.secretsFile)
    rmSync(this.paths.secretsFile, { force: true })
    try {
      return { keychain: (await this.keychain.delete(this.account)) ? 'deleted' : 'absent', file }
    } catch (error) {
      if (!(error instanceof KeychainUnavailableError)) throw error
      return { keychain: `${error.message} If the lab ever stored its secrets there, delete the entry "${this.account}" of service ${LAB_KEYCHAIN_SERVICE} with your keychain app.`, file }
    }
  }

  #readFile(): LabSecrets | undefined {
    if (!existsSync(this.paths.secretsFile)) return undefined
    return JSON.parse(readFileSync(this.paths.secretsFile, 'utf8')) as LabSecrets
  }

  #useFile(): void {
    this.where = 'file'
    this.warning = `${this.#keychainProblem ?? 'The OS keychain cannot be used.'} The lab's root token, unseal key and PostgreSQL password are kept in ${this.paths.secretsFile} (mode 0600) instead: whoever can read that file controls the lab's Vault. Once a keychain works, \`vault-tray lab up\` moves them there; --require-keychain refuses to use the file.`
  }
}

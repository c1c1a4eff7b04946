// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager) through @napi-rs/keyring.
import { AsyncEntry, type EntryOptions } from '@napi-rs/keyring'

// On Linux the library would fall back to the kernel keyring, which forgets everything at reboot; the
// Secret Service is the user's keychain, so require it and say so when it is not there.
const ENTRY_OPTIONS: EntryOptions = { linux: { store: 'secret-service' } }

export interface Keychain {
  get(account: string): Promise<string | null>
  set(account: string, secret: string): Promise<void>
  delete(account: string): Promise<boolean>
}

export class KeychainUnavailableError extends Error {
  constructor(cause: unknown) {
    super(
      `The OS keychain cannot be used (${(cause as Error).message ?? String(cause)}). ` +
        'Unlock it, or on Linux start a Secret Service such as gnome-keyring or KeePassXC; until then nothing is persisted.',
      { cause },
    )
    this.name = 'KeychainUnavailableError'
  }
}

/** Entries live under one service name, so the user finds them all together in their keychain app. */
export class SystemKeychain implements Keychain {
  constructor(private readonly service = 'vault-tray') {}

  async get(account: string): Promise<string | null> {
    return this.#call(async () => (await this.#entry(account).getPassword()) ?? null)
  }

  async set(account: string, secret: string): Promise<void> {
    return this.#call(() => this.#entry(account).setPassword(secret))
  }

  async delete(account: string): Promise<boolean> {
    return this.#call(() => this.#entry(account).deletePassword())
  }

  #entry(account: string): AsyncEntry {
    return new AsyncEntry(this.service, account, ENTRY_OPTIONS)
  }

  async #call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (error) {
      throw new KeychainUnavailableError(error)
    }
  }
}

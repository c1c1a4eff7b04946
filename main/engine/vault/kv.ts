// KV secrets engine, versions 1 and 2.
import type { VaultClient } from './client.ts'
import { trimSlashes as trim } from './paths.ts'

export interface KvV2Metadata {
  current_version: number
  oldest_version: number
  max_versions: number
  created_time: string
  updated_time: string
  versions: Record<string, { created_time: string; deletion_time: string; destroyed: boolean }>
  custom_metadata: Record<string, string> | null
}

export interface KvV2Secret {
  data: Record<string, unknown> | null
  metadata: { version: number; created_time: string; deletion_time: string; destroyed: boolean; custom_metadata: Record<string, string> | null }
}

export class KvV2 {
  readonly mount: string
  constructor(
    private readonly client: VaultClient,
    mount: string,
  ) {
    this.mount = trim(mount)
  }

  /** The latest version, or the given one. A deleted version reads with `data: null`, as Vault answers. */
  async read(path: string, token: string, version?: number): Promise<KvV2Secret> {
    const { data } = await this.client.request<{ data: KvV2Secret }>({ method: 'GET', path: `${this.mount}/data/${trim(path)}`, token, query: { version } })
    return data
  }

  /** Writes a new version; `cas` makes it fail unless the current version is that number (0: only if absent). */
  async write(path: string, token: string, data: Record<string, unknown>, cas?: number): Promise<KvV2Secret['metadata']> {
    const body = cas === undefined ? { data } : { data, options: { cas } }
    const response = await this.client.request<{ data: KvV2Secret['metadata'] }>({ method: 'POST', path: `${this.mount}/data/${trim(path)}`, token, body })
    return response.data
  }

  async metadata(path: string, token: string): Promise<KvV2Metadata> {
    const { data } = await this.client.request<{ data: KvV2Metadata }>({ method: 'GET', path: `${this.mount}/metadata/${trim(path)}`, token })
    return data
  }

  async list(path: string, token: string): Promise<string[]> {
    const { data } = await this.client.request<{ data: { keys: string[] } }>({ method: 'LIST', path: `${this.mount}/metadata/${trim(path)}`, token })
    return data.keys
  }

  /** Soft-deletes the latest version, or the given versions; undelete brings them back. */
  async delete(path: string, token: string, versions?: number[]): Promise<void> {
    if (versions === undefined) await this.client.request({ method: 'DELETE', path: `${this.mount}/data/${trim(path)}`, token })
    else await this.client.request({ method: 'POST', path: `${this.mount}/delete/${trim(path)}`, token, body: { versions } })
  }

  async undelete(path: string, token: string, versions: number[]): Promise<void> {
    await this.client.request({ method: 'POST', path: `${this.mount}/undelete/${trim(path)}`, token, body: { versions } })
  }

  /** Removes the data of these versions for good. */
  async destroy(path: string, token: string, versions: number[]): Promise<void> {
    await this.client.request({ method: 'PUT', path: `${this.mount}/destroy/${trim(path)}`, token, body: { versions } })
  }

  /** Removes every version and the metadata. */
  async deleteMetadata(path: string, token: string): Promise<void> {
    await this.client.request({ method: 'DELETE', path: `${this.mount}/metadata/${trim(path)}`, token })
  }
}

export class KvV1 {
  readonly mount: string
  constructor(
    private readonly client: VaultClient,
    mount: string,
  ) {
    this.mount = trim(mount)
  }

  async read(path: string, token: string): Promise<Record<string, unknown>> {
    const { data } = await this.client.request<{ data: Record<string, unknown> }>({ method: 'GET', path: `${this.mount}/${trim(path)}`, token })
    return data
  }

  async write(path: string, token: string, data: Record<string, unknown>): Promise<void> {
    await this.client.request({ method: 'POST', path: `${this.mount}/${trim(path)}`, token, body: data })
  }

  async list(path: string, token: string): Promise<string[]> {
    const { data } = await this.client.request<{ data: { keys: string[] } }>({ method: 'LIST', path: `${this.mount}/${trim(path)}`, token })
    return data.keys
  }

  async delete(path: string, token: string): Promise<void> {
    await this.client.request({ method: 'DELETE', path: `${this.mount}/${trim(path)}`, token })
  }
}

// Database credentials, PKI certificates, transit encryption and capability checks.
import type { VaultClient } from './client.ts'

/** A secret that comes with a lease (database credentials, most dynamic secrets). */
export interface LeasedSecret<T = Record<string, unknown>> {
  lease_id: string
  lease_duration: number
  renewable: boolean
  request_id: string
  data: T
}

export function databaseCredentials(client: VaultClient, token: string, mount: string, role: string): Promise<LeasedSecret<{ username: string; password: string }>> {
  return client.request({ method: 'GET', path: `${mount}/creds/${role}`, token })
}

export interface PkiCertificate {
  certificate: string
  issuing_ca: string
  ca_chain?: string[]
  private_key: string
  private_key_type: string
  serial_number: string
  expiration: number
}

export interface PkiIssueRequest {
  common_name: string
  alt_names?: string
  ip_sans?: string
  uri_sans?: string
  ttl?: string
  format?: 'pem' | 'der' | 'pem_bundle'
  private_key_format?: 'der' | 'pkcs8'
  exclude_cn_from_sans?: boolean
}

export async function issueCertificate(client: VaultClient, token: string, mount: string, role: string, request: PkiIssueRequest): Promise<LeasedSecret<PkiCertificate>> {
  return client.request({ method: 'POST', path: `${mount}/issue/${role}`, token, body: request })
}

export async function revokeCertificate(client: VaultClient, token: string, mount: string, serialNumber: string): Promise<void> {
  await client.request({ method: 'POST', path: `${mount}/revoke`, token, body: { serial_number: serialNumber } })
}

/** Transit encryption as a service: Vault keeps the key, we send base64 plaintext and keep the ciphertext. */
export class Transit {
  constructor(
    private readonly client: VaultClient,
    readonly mount: string,
    readonly key: string,
  ) {}

  async encrypt(token: string, plaintext: Buffer): Promise<string> {
    const { data } = await this.client.request<{ data: { ciphertext: string } }>({ method: 'POST', path: `${this.mount}/encrypt/${this.key}`, token, body: { plaintext: plaintext.toString('base64') } })
    return data.ciphertext
  }

  async decrypt(token: string, ciphertext: string): Promise<Buffer> {
    const { data } = await this.client.request<{ data: { plaintext: string } }>({ method: 'POST', path: `${this.mount}/decrypt/${this.key}`, token, body: { ciphertext } })
    return Buffer.from(data.plaintext, 'base64')
  }

  /** Re-encrypts under the key's latest version without revealing the plaintext. */
  async rewrap(token: string, ciphertext: string): Promise<string> {
    const { data } = await this.client.request<{ data: { ciphertext: string } }>({ method: 'POST', path: `${this.mount}/rewrap/${this.key}`, token, body: { ciphertext } })
    return data.ciphertext
  }

  /** A new random data key: its plaintext for use now, its ciphertext (wrapped by this transit key) to keep. */
  async dataKey(token: string, bits: 128 | 256 | 512 = 256): Promise<{ plaintext: Buffer; ciphertext: string }> {
    const { data } = await this.client.request<{ data: { plaintext: string; ciphertext: string } }>({ method: 'POST', path: `${this.mount}/datakey/plaintext/${this.key}`, token, body: { bits } })
    return { plaintext: Buffer.from(data.plaintext, 'base64'), ciphertext: data.ciphertext }
  }

  /** Creates the key if it does not exist (idempotent in Vault). */
  async createKey(token: string, type = 'aes256-gcm96'): Promise<void> {
    await this.client.request({ method: 'POST', path: `${this.mount}/keys/${this.key}`, token, body: { type } })
  }
}

/** What the token may do on each path (sys/capabilities-self): e.g. `['read', 'list']`, or `['deny']`. */
export async function capabilitiesSelf(client: VaultClient, token: string, paths: string[], namespace?: string): Promise<Record<string, string[]>> {
  const response = await client.request<Record<string, unknown> & { data?: Record<string, string[]> }>({
    method: 'POST',
    path: 'sys/capabilities-self',
    token,
    body: { paths },
    ...(namespace ? { headers: { 'X-Vault-Namespace': namespace } } : {}),
  })
  const byPath = response.data ?? (response as Record<string, string[]>)
  return Object.fromEntries(paths.map((path) => [path, byPath[path] ?? []]))
}

// Which mount a request path falls in, and whether it is KV v1 or v2: asked of Vault once per mount
// (sys/internal/ui/mounts, as Vault Proxy does) with the requesting token, then remembered.
import type { VaultClient } from '../vault/client.ts'

export type MountKind = { kind: 'kv'; version: 1 | 2; path: string } | { kind: 'other'; path: string }

interface UiMount {
  path: string
  type: string
  options?: { version?: string } | null
}

export class MountResolver {
  /** Per namespace, the mounts seen so far, longest path first. */
  readonly #known = new Map<string, MountKind[]>()

  constructor(private readonly client: VaultClient) {}

  /** The mount if it was seen before; no request to Vault. */
  known(namespace: string, apiPath: string): MountKind | undefined {
    return this.#known.get(namespace)?.find((mount) => apiPath === mount.path.slice(0, -1) || apiPath.startsWith(mount.path))
  }

  async resolve(namespace: string, apiPath: string, token: string): Promise<MountKind | undefined> {
    const seen = this.known(namespace, apiPath)
    if (seen) return seen
    const known = this.#known.get(namespace) ?? []
    try {
      const { data } = await this.client.request<{ data: UiMount }>({
        method: 'GET',
        path: `sys/internal/ui/mounts/${apiPath}`,
        token,
        ...(namespace ? { headers: { 'X-Vault-Namespace': namespace } } : {}),
      })
      const mount: MountKind = data.type === 'kv' ? { kind: 'kv', version: data.options?.version === '2' ? 2 : 1, path: data.path } : { kind: 'other', path: data.path }
      this.#known.set(namespace, [...known, mount].sort((a, b) => b.path.length - a.path.length))
      return mount
    } catch {
      return undefined // not a mount this token can see: forward without caching
    }
  }
}

/** The secret a KV request is about, and whether a GET of it may be cached. */
export function kvSecretOf(mount: Extract<MountKind, { kind: 'kv' }>, apiPath: string): { secret: string; cacheableRead: boolean } | undefined {
  const inMount = apiPath.slice(mount.path.length)
  if (mount.version === 1) return inMount ? { secret: inMount, cacheableRead: true } : undefined
  const match = inMount.match(/^(data|metadata|delete|undelete|destroy|subkeys)\/(.+)$/)
  if (!match) return undefined
  return { secret: match[2]!, cacheableRead: match[1] === 'data' }
}

// Which view is shown, kept in the address's hash so back/forward and reload work: #/overview, #/secrets,
// #/why or #/why/<resource key>.
export type View = 'overview' | 'secrets' | 'why'

export interface Route {
  view: View
  /** The resource a Why-not-synced view is about. */
  key?: string
}

export const VIEWS: { view: View; label: string }[] = [
  { view: 'overview', label: 'Overview' },
  { view: 'secrets', label: 'Secrets' },
  { view: 'why', label: 'Why not synced' },
]

export function parseRoute(hash: string): Route {
  const [, view, ...rest] = hash.replace(/^#/, '').split('/')
  if (view === 'secrets') return { view: 'secrets' }
  if (view === 'why') {
    const key = rest.length ? decodeURIComponent(rest.join('/')) : undefined
    return key ? { view: 'why', key } : { view: 'why' }
  }
  return { view: 'overview' }
}

export function routeHref(route: Route): string {
  return route.key ? `#/${route.view}/${encodeURIComponent(route.key)}` : `#/${route.view}`
}

export const route = $state<{ current: Route }>({ current: parseRoute(typeof location === 'undefined' ? '' : location.hash) })

export function followRoute(): () => void {
  const update = () => (route.current = parseRoute(location.hash))
  window.addEventListener('hashchange', update)
  return () => window.removeEventListener('hashchange', update)
}

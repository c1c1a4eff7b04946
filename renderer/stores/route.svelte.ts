// Which view is shown, kept in the address's hash so back/forward and reload work: #/<view>, #/<view>/<key>
// (a resource key, or a target to inspect), and filters after `?` (#/events?resource=Kind/ns/name).
export type View = 'overview' | 'secrets' | 'why' | 'leases' | 'events' | 'inspect' | 'proxy' | 'settings' | 'lab'

export interface Route {
  view: View
  /** What the view is about: a resource key (why), or a target (inspect). */
  key?: string
  query?: Record<string, string>
}

export const VIEWS: { view: View; label: string }[] = [
  { view: 'overview', label: 'Overview' },
  { view: 'secrets', label: 'Secrets' },
  { view: 'why', label: 'Why not synced' },
  { view: 'leases', label: 'Leases' },
  { view: 'events', label: 'Events' },
  { view: 'inspect', label: 'Inspect' },
  { view: 'proxy', label: 'Proxy' },
  { view: 'settings', label: 'Settings' },
  { view: 'lab', label: 'Lab' },
]

const KNOWN = new Set<string>(VIEWS.map((item) => item.view))

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?', 2)
  const [, view = '', ...rest] = path.split('/')
  if (!KNOWN.has(view)) return { view: 'overview' }
  const route: Route = { view: view as View }
  const key = rest.length ? decodeURIComponent(rest.join('/')) : ''
  if (key) route.key = key
  const params = new URLSearchParams(search)
  if ([...params.keys()].length) route.query = Object.fromEntries(params)
  return route
}

export function routeHref(route: Route): string {
  const path = route.key ? `#/${route.view}/${encodeURIComponent(route.key)}` : `#/${route.view}`
  const search = route.query && Object.keys(route.query).length ? `?${new URLSearchParams(route.query)}` : ''
  return path + search
}

export const route = $state<{ current: Route }>({ current: parseRoute(typeof location === 'undefined' ? '' : location.hash) })

/** Shows another view, as following a link would. */
export function navigate(to: Route): void {
  location.hash = routeHref(to)
}

export function followRoute(): () => void {
  const update = () => (route.current = parseRoute(location.hash))
  window.addEventListener('hashchange', update)
  return () => window.removeEventListener('hashchange', update)
}

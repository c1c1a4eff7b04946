// The Events view: the engine's event stream, paged by sequence number.

/** One line of the engine's event stream: never a secret value. */
export interface EngineLogEntry {
  seq: number
  at: number
  source: 'sync' | 'rotation' | 'renewal' | 'proxy' | 'vault' | 'kubernetes' | 'lab' | 'engine'
  severity: 'info' | 'warning' | 'error'
  namespace?: string
  /** The resource it is about, as a sync key (Kind/namespace/name), when there is one. */
  resource?: string
  message: string
}

export interface EventsPage {
  events: EngineLogEntry[]
  /** The oldest seq still kept (older ones were dropped from the ring) and the newest. */
  first: number
  last: number
}

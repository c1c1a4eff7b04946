/**
 * Fills in defaults for options left out or given as undefined. A plain `{ ...defaults, ...options }`
 * lets `{ renewalPercent: undefined }`, as passed along by a caller that had none, wipe out the default.
 */
export function withDefaults<O extends object>(defaults: { [K in keyof O]?: O[K] }, options: O): Required<O> {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined))
  return { ...defaults, ...given } as Required<O>
}

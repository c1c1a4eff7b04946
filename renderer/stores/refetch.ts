// Push small hints, pull the data: hints arrive in bursts, so a store refetches once after they settle, and
// not at all while the window is hidden (once when it shows again).
export function debouncedRefetch(refetch: () => void, waitMs = 150): { hint: () => void; stop: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined
  let dirty = false
  const hidden = () => typeof document !== 'undefined' && document.visibilityState === 'hidden'
  const run = () => {
    timer = undefined
    if (hidden()) dirty = true
    else refetch()
  }
  const onVisible = () => {
    if (!hidden() && dirty) {
      dirty = false
      refetch()
    }
  }
  if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onVisible)
  return {
    hint() {
      clearTimeout(timer)
      timer = setTimeout(run, waitMs)
    },
    stop() {
      clearTimeout(timer)
      if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onVisible)
    },
  }
}

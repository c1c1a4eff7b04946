// The user's settings (main/engine/settings.ts): read, checked field by field and saved; a new kube-context is
// applied at once by switching the sync engine to it, the rest at the next start.
import { BridgeError, type InvokeHandlers } from '../../contract/index.ts'
import { listContexts, loadKubeConfig } from '../../engine/kube/contexts.ts'
import { defaultCacheDir, defaultSettings, SettingsStore } from '../../engine/settings.ts'
import type { BridgeContext, BridgePart } from './context.ts'

export function settingsPart({ engine, env, settingsFile, switchContext }: BridgeContext): BridgePart<Pick<InvokeHandlers, 'settings:get' | 'settings:save' | 'settings:contexts'>> {
  const kube = () => loadKubeConfig(env)
  const contexts = () => {
    const loaded = kube()
    return loaded ? listContexts(loaded).map((context) => context.name) : []
  }
  const store = new SettingsStore(settingsFile, () => defaultSettings(env, engine.sync?.kube.context ?? kube()?.config.getCurrentContext(), defaultCacheDir(env)), contexts)
  const changed = new Set<() => void>()
  return {
    handlers: {
      'settings:get': async () => {
        const loaded = store.load()
        if (loaded.problem) throw new BridgeError('failed', loaded.problem)
        return loaded.settings
      },
      'settings:save': async (settings) => {
        const before = store.load().settings
        const saved = store.save(settings)
        if (!saved.ok) return saved
        changed.forEach((notify) => notify())
        const context = saved.settings.kubeContext
        if (context && context !== before.kubeContext && engine.sync && switchContext) await switchContext(context)
        return saved
      },
      'settings:contexts': async () => contexts(),
    },
    subscribe(push) {
      const notify = () => push('settings:changed', { kind: 'settings' })
      changed.add(notify)
      return () => changed.delete(notify)
    },
  }
}

// The tray menu as data: what it shows and which command each item runs. The shell maps commands to actions, so
// the menu is tested without Electron.
export type TrayCommand =
  | { kind: 'open-window' }
  | { kind: 'switch-context'; context: string }
  | { kind: 'pause-sync'; paused: boolean }
  | { kind: 'copy-proxy-export' }
  | { kind: 'quit' }

export type TrayMenuItem =
  | { type: 'separator' }
  | { type: 'normal'; label: string; enabled: boolean; command?: TrayCommand }
  | { type: 'radio'; label: string; checked: boolean; command: TrayCommand }
  | { type: 'submenu'; label: string; items: TrayMenuItem[] }

export interface TrayMenuInput {
  reason: string
  vaultAddress: string
  context: string | undefined
  contexts: readonly string[]
  syncRunning: boolean
  syncPaused: boolean
  proxyAddress: string | undefined
}

export function trayMenu(input: TrayMenuInput): TrayMenuItem[] {
  return [
    { type: 'normal', label: input.reason, enabled: false },
    { type: 'separator' },
    { type: 'normal', label: `Vault: ${input.vaultAddress}`, enabled: false },
    input.contexts.length
      ? { type: 'submenu', label: `Kube-context: ${input.context ?? 'none'}`, items: input.contexts.map((context) => ({ type: 'radio', label: context, checked: context === input.context, command: { kind: 'switch-context', context } })) }
      : { type: 'normal', label: 'Kube-context: none (no kubeconfig)', enabled: false },
    { type: 'normal', label: input.syncPaused ? 'Resume sync' : 'Pause sync', enabled: input.syncRunning, command: { kind: 'pause-sync', paused: !input.syncPaused } },
    { type: 'normal', label: input.proxyAddress ? `Copy export VAULT_ADDR=${input.proxyAddress}` : 'Proxy not running', enabled: Boolean(input.proxyAddress), command: { kind: 'copy-proxy-export' } },
    { type: 'separator' },
    { type: 'normal', label: 'Open Vault Tray', enabled: true, command: { kind: 'open-window' } },
    { type: 'normal', label: 'Quit', enabled: true, command: { kind: 'quit' } },
  ]
}

// Runs sandboxed before the renderer: exposes one frozen object built from the contract's channel maps (api.ts).
import { contextBridge, ipcRenderer } from 'electron'
import { ipcApi } from './api.ts'

contextBridge.exposeInMainWorld('vaultTray', Object.freeze(ipcApi(ipcRenderer)))

import { mount } from 'svelte'
import App from './App.svelte'
import { needsToken } from './lib/bridge/index.ts'
import './app.css'

const target = document.getElementById('app')!
if (needsToken) {
  // no data and no views without the engine: say how to get there
  const message = document.createElement('p')
  message.setAttribute('role', 'alert')
  message.className = 'needs-token'
  message.textContent = 'This window is not connected. Open the address that `vault-tray daemon --ui` printed, token included.'
  target.append(message)
} else mount(App, { target })

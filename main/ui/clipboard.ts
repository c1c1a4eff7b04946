// A copied secret value, put on the system clipboard by the main process and taken off again after a while, but
// only if the clipboard still holds it (the user may have copied something else meanwhile). The main process
// needs no permission for this and no focus, unlike a page, and the value never reaches the renderer.

/** The part of Electron's clipboard module this uses (a fake in unit tests); older Electrons answer synchronously. */
export interface SystemClipboard {
  readText(): Promise<string> | string
  writeText(text: string): Promise<void> | void
}

export class ClipboardKeeper {
  #pending: { text: string; timer: ReturnType<typeof setTimeout> } | undefined

  constructor(
    private readonly clipboard: SystemClipboard,
    private readonly onCleared: () => void,
  ) {}

  async copy(text: string, seconds: number): Promise<void> {
    await this.clipboard.writeText(text)
    clearTimeout(this.#pending?.timer)
    const timer = setTimeout(() => void this.#clear(text), seconds * 1000)
    timer.unref?.()
    this.#pending = { text, timer }
  }

  /** Clears now what this put there (the app quits): a value must not outlive the app on the clipboard. */
  async flush(): Promise<void> {
    if (this.#pending) await this.#clear(this.#pending.text)
  }

  async #clear(text: string): Promise<void> {
    if (this.#pending?.text !== text) return
    clearTimeout(this.#pending.timer)
    this.#pending = undefined
    if ((await this.clipboard.readText()) === text) await this.clipboard.writeText('')
    this.onCleared()
  }
}

// The command palette as a user drives it: Ctrl+K, type, arrows, Enter, Escape; found by role and accessible name.
import type { Locator, Page } from 'playwright-core'

export class PalettePage {
  readonly dialog: Locator
  readonly combobox: Locator
  readonly listbox: Locator
  readonly openButton: Locator

  constructor(readonly page: Page) {
    this.dialog = page.getByRole('dialog', { name: 'Command palette' })
    this.combobox = this.dialog.getByRole('combobox', { name: 'Command' })
    this.listbox = this.dialog.getByRole('listbox', { name: 'Commands' })
    this.openButton = page.getByRole('button', { name: 'Command palette' })
  }

  async openWithKeyboard(): Promise<void> {
    await this.page.keyboard.press('Control+k')
    await this.dialog.waitFor()
  }

  async type(text: string): Promise<void> {
    await this.combobox.fill(text)
  }

  /** The options' names, in the order shown. */
  async optionNames(): Promise<string[]> {
    return (await this.listbox.getByRole('option').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim())
  }

  /** The option the combobox points at (aria-activedescendant), as a screen reader announces it. */
  async activeOption(): Promise<string | undefined> {
    const id = await this.combobox.getAttribute('aria-activedescendant')
    if (!id) return undefined
    const option = this.dialog.locator(`[id="${id}"]`)
    if ((await option.getAttribute('aria-selected')) !== 'true') return undefined
    return (await option.locator('span').first().innerText()).trim()
  }
}

/** Whether the element has the keyboard focus. */
export function hasFocus(locator: Locator): Promise<boolean> {
  return locator.evaluate((element: { ownerDocument: { activeElement: unknown } }) => element === element.ownerDocument.activeElement)
}

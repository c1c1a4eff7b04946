// The Lab view: one button sets up the one-click lab, and each of its steps shows its state, duration and changes.
import type { Locator, Page } from 'playwright-core'

export class LabPage {
  readonly heading: Locator
  readonly setUp: Locator
  readonly steps: Locator
  readonly usage: Locator
  readonly summary: Locator

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Lab', level: 1 })
    this.setUp = page.getByRole('button', { name: /^Set up the lab/ })
    this.steps = page.getByRole('region', { name: 'Steps' }).getByRole('listitem')
    this.usage = page.getByRole('region', { name: 'Using the lab' })
    this.summary = page.getByRole('status', { name: /^Lab status/ })
  }

  step(title: string): Locator {
    return this.page.getByRole('region', { name: 'Steps' }).getByRole('listitem', { name: title, exact: true })
  }

  /** Each step's title and state label (Done, Running, Failed …). */
  async states(): Promise<{ title: string; state: string }[]> {
    const items = await this.steps.all()
    return Promise.all(items.map(async (item) => ({ title: (await item.getAttribute('aria-label'))!, state: (await item.locator('.state').innerText()).trim() })))
  }

  field(name: string): Locator {
    return this.usage.locator('dt', { hasText: new RegExp(`^${name}$`) }).locator('xpath=following-sibling::dd[1]')
  }
}

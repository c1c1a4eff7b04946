// Page objects for the window, read like what a user does: they find everything by role and accessible name.
import type { Locator, Page } from 'playwright-core'

export class VaultTrayPage {
  readonly navigation: Locator
  readonly connectionAlert: Locator

  constructor(readonly page: Page) {
    this.navigation = page.getByRole('navigation', { name: 'Views' })
    this.connectionAlert = page.getByRole('alert').filter({ hasText: 'Disconnected from the engine' })
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url)
  }

  /** Follows the navigation link of a view by its label. */
  async goTo(label: string): Promise<void> {
    await this.navigation.getByRole('link', { name: new RegExp(`^${label}`) }).click()
  }

  async goToOverview(): Promise<OverviewPage> {
    await this.navigation.getByRole('link', { name: 'Overview' }).click()
    return new OverviewPage(this.page)
  }

  async goToSecrets(): Promise<SecretsPage> {
    await this.navigation.getByRole('link', { name: 'Secrets' }).click()
    return new SecretsPage(this.page)
  }

  async goToWhyNotSynced(): Promise<WhyNotSyncedPage> {
    await this.navigation.getByRole('link', { name: /^Why not synced/ }).click()
    return new WhyNotSyncedPage(this.page)
  }
}

export class OverviewPage {
  readonly heading: Locator
  readonly vault: Locator
  readonly kubernetes: Locator
  readonly sync: Locator

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Overview', level: 1 })
    this.vault = page.getByRole('region', { name: 'Vault' })
    this.kubernetes = page.getByRole('region', { name: 'Kubernetes' })
    this.sync = page.getByRole('region', { name: 'Sync' })
  }

  /** The value shown for a field (Version, Context, …) of a card. */
  field(card: Locator, name: string): Locator {
    return card.locator('dt', { hasText: new RegExp(`^${name}$`) }).locator('xpath=following-sibling::dd[1]')
  }
}

export class SecretsPage {
  readonly heading: Locator
  readonly table: Locator

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Secrets', level: 1 })
    this.table = page.getByRole('table', { name: 'Synced resources' })
  }

  /** The row of one resource, by its name (row headers hold kind and name). */
  row(name: string): Locator {
    return this.table.getByRole('row').filter({ has: this.page.getByRole('rowheader', { name: new RegExp(`${name}$`) }) })
  }

  cell(name: string, column: 'Namespace' | 'Destination' | 'State' | 'Last sync' | 'Drift' | 'Error'): Locator {
    const index = ['Namespace', 'Destination', 'State', 'Last sync', 'Drift', 'Error'].indexOf(column)
    return this.row(name).getByRole('cell').nth(index)
  }

  async syncNow(name: string): Promise<void> {
    await this.row(name).getByRole('button', { name: /^Sync now/ }).click()
  }

  async togglePause(name: string): Promise<void> {
    await this.row(name).getByRole('button', { name: /^(Pause|Resume)/ }).click()
  }

  async whyNotSynced(name: string): Promise<WhyNotSyncedPage> {
    await this.row(name).getByRole('link', { name: /^Why is .* not synced\?$/ }).click()
    return new WhyNotSyncedPage(this.page)
  }

  /** Opens the Inspect view on the Secret the resource writes. */
  async inspect(name: string): Promise<void> {
    await this.row(name).getByRole('link', { name: /^Inspect Secret / }).click()
  }

  /** Opens the dialog with the resource's YAML; returns the dialog. */
  async openYaml(name: string): Promise<Locator> {
    await this.row(name).getByRole('button', { name: /^YAML of / }).click()
    return this.page.getByRole('dialog', { name: /^YAML of / })
  }

  async events(name: string): Promise<void> {
    await this.row(name).getByRole('link', { name: /^Events of / }).click()
  }
}

export class WhyNotSyncedPage {
  readonly heading: Locator

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Why not synced', level: 1 })
  }

  resource(title: string): Locator {
    return this.page.getByRole('article', { name: title })
  }

  async showEvidence(title: string): Promise<Locator> {
    await this.resource(title).getByRole('button', { name: 'Show evidence' }).click()
    return this.resource(title).getByRole('region', { name: 'Evidence' })
  }
}

// The accessibility gate every scanned state goes through: axe-core's WCAG 2.0, 2.1 and 2.2 rules at
// levels A and AA, and its best practices. Any violation fails the test, listed with its rule,
// what it means and the elements it found.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/** axe-core's rule tags the gate runs (https://github.com/dequelabs/axe-core/blob/develop/doc/API.md#axe-core-tags). */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa', 'best-practice'];

/** Scans the page (and its frames) as it is now; fails with each violation if there is any. */
export async function expectAccessible(page: Page, state: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const found = violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(found, `axe-core violations in the state "${state}"`).toEqual([]);
}

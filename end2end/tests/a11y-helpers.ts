import AxeBuilder from "@axe-core/playwright";
import { expect, type Locator, type Page } from "@playwright/test";

/** Impacts that fail the accessibility run; minor and moderate ones are
 * reported by axe but left to judgement. */
const FAILING_IMPACTS = ["serious", "critical"];

/** One axe finding, short enough to read in a test failure. */
function describeViolation(violation: {
  id: string;
  impact?: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}): string {
  const nodes = violation.nodes
    .slice(0, 5)
    .map((node) => `    ${JSON.stringify(node.target)}: ${(node.failureSummary ?? "").replace(/\s+/g, " ")}`)
    .join("\n");
  return `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.length} elements)\n${nodes}`;
}

/**
 * Runs axe over the whole page as it is now and records every serious or
 * critical violation as a soft failure named after `state`, so that one run
 * lists every page's problems instead of stopping at the first page.
 */
export async function expectNoSeriousViolations(page: Page, state: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const failing = results.violations.filter((violation) => FAILING_IMPACTS.includes(violation.impact ?? ""));
  expect.soft(failing.map(describeViolation), `axe on ${state}`).toEqual([]);
}

/** What the focused element is called: its aria-label, else its label's or its own text. */
async function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const focused = document.activeElement as HTMLElement | null;
    if (!focused || focused === document.body) return "";
    const labelled = focused.getAttribute("aria-label");
    if (labelled) return labelled.trim();
    const input = focused as HTMLInputElement;
    const label = input.labels?.[0]?.textContent;
    if (label) return label.replace(/\s*\*$/, "").trim();
    return (focused.textContent ?? "").replace(/\s+/g, " ").trim();
  });
}

/**
 * Presses Tab (or Shift+Tab) until the focused element is called `name`,
 * the way a keyboard user walks a page; presses nothing when it already
 * is, and fails after `limit` presses, so a control that cannot be
 * reached by keyboard fails the test.
 */
export async function tabTo(
  page: Page,
  name: string | RegExp,
  { backwards = false, limit = 80 }: { backwards?: boolean; limit?: number } = {},
): Promise<void> {
  const matches = (found: string) => (typeof name === "string" ? found === name : name.test(found));
  const seen: string[] = [];
  if (matches(await focusedName(page))) return;
  for (let presses = 0; presses < limit; presses++) {
    await page.keyboard.press(backwards ? "Shift+Tab" : "Tab");
    const found = await focusedName(page);
    if (matches(found)) return;
    seen.push(found);
  }
  throw new Error(`Tab never reached ${name}; focus passed ${JSON.stringify(seen)}`);
}

/** Fails unless the focused element is inside `container` (an opened form or dialog). */
export async function expectFocusInside(container: Locator): Promise<void> {
  await expect
    .poll(() => container.evaluate((element) => element.contains(document.activeElement)), {
      message: "focus moved into the opened form or dialog",
    })
    .toBe(true);
}

/**
 * Fails unless the focused element shows a focus ring a sighted keyboard
 * user can see: it matches :focus-visible and draws an outline or a box
 * shadow of some width.
 */
export async function expectVisibleFocus(page: Page): Promise<void> {
  const ring = await page.evaluate(() => {
    const focused = document.activeElement as HTMLElement | null;
    if (!focused || focused === document.body) return { focusVisible: false, outline: "none", shadow: "none" };
    const style = getComputedStyle(focused);
    const outline = style.outlineStyle === "none" || parseFloat(style.outlineWidth) === 0 ? "none" : style.outline;
    return { focusVisible: focused.matches(":focus-visible"), outline, shadow: style.boxShadow };
  });
  expect(ring.focusVisible, "the focused element matches :focus-visible").toBe(true);
  expect(ring.outline !== "none" || ring.shadow !== "none", `a focus ring shows (${JSON.stringify(ring)})`).toBe(true);
}

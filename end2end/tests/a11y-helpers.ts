import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

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

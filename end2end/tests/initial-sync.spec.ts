import { expect, test } from "@playwright/test";
import { signedOutContext, signIn, signUp } from "./accounts";
import { colleague, customerUpsert, uid } from "./helpers";

const CUSTOMERS = 7000;

test("a first sync of a large workspace shows its progress, and the customers before it ends", async ({
  browser,
}) => {
  const tag = uid();
  const email = `big-${tag}@example.com`;
  const first = await signedOutContext(browser);
  const page = await first.newPage();
  await signUp(page, email, `Big ${tag}`);
  // A team that already has 7,000 customers (more than one page of a pull).
  const team = colleague(page.request);
  const statuses: number[] = [];
  for (let start = 0; start < CUSTOMERS; start += 1000) {
    const batch = Array.from({ length: 1000 }, (_, n) =>
      customerUpsert({ name: `Big ${String(start + n).padStart(4, "0")}` }),
    );
    statuses.push((await team.push(batch)).status());
  }
  expect(statuses).toEqual(Array(CUSTOMERS / 1000).fill(200));
  await first.close();

  // A new device signs in: everything comes down in its first sync.
  const second = await signedOutContext(browser);
  await second.addInitScript(() => {
    // Every state of the progress bar, however brief, with the rows on screen then.
    const seen: [number, number, number][] = [];
    (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
    new MutationObserver(() => {
      const bar = document.querySelector<HTMLProgressElement>("[data-testid=sync-progress]");
      if (bar) {
        seen.push([bar.value, bar.max, document.querySelectorAll("[data-testid=customer-row]").length]);
      }
    }).observe(document, { subtree: true, childList: true, attributes: true });
  });
  const device = await second.newPage();
  // Pulls a little slower than a fast local server, as over a real network:
  // slow enough that a busy machine still draws the list between pages.
  await device.route("**/api/sync/pull", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 600));
    await route.continue();
  });
  await signIn(device, email);
  await expect(device.getByTestId("sync-detail")).toContainText("All changes synced", { timeout: 60_000 });
  await expect(device.getByTestId("status-all")).toContainText(String(CUSTOMERS));
  await expect(device.getByTestId("sync-progress")).toHaveCount(0);
  const seen = await device.evaluate(
    () => (window as unknown as { progressSeen: [number, number, number][] }).progressSeen,
  );
  expect(seen.length, "the bar showed").toBeGreaterThan(0);
  expect(
    seen.some(([value, max, rows]) => max > 0 && value > 0 && value < max && rows > 0),
    `part way through, with customers already listed: ${JSON.stringify(seen.slice(0, 10))}`,
  ).toBe(true);
  await second.close();
});

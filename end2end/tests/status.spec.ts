import { expect, test } from "@playwright/test";
import { colleague, customerUpsert, synced } from "./helpers";

test("sync status: last sync time, an error state with retry, and progress on a long first sync", async ({
  browser,
  request,
}) => {
  // Enough rows for several pull pages.
  const bulk = colleague(request);
  for (let batch = 0; batch < 3; batch++) {
    const customers = Array.from({ length: 1000 }, (_, i) =>
      customerUpsert({ name: `Bulk ${batch}-${i}`, status: "Suspect" }),
    );
    const reply = await bulk.push(customers);
    expect(reply.status()).toBe(200);
  }

  const context = await browser.newContext();
  const page = await context.newPage();
  // Slow pulls down, in pages of 1,000 (the server's default) rather than
  // the 5,000 the app asks for, so the first sync takes several pages.
  await page.route("**/api/sync/pull", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 400));
    const body = JSON.parse(route.request().postData() ?? "{}");
    await route.continue({ postData: JSON.stringify({ ...body, limit: 1000 }) });
  });
  await page.goto("/");
  await expect(page.getByTestId("sync-detail")).toContainText(/Syncing… [\d,]+ records received/);
  await synced(page);
  await expect(page.getByTestId("sync-detail")).toHaveText(/All changes synced at \d\d:\d\d:\d\d/);
  await page.unroute("**/api/sync/pull");

  // The server stops answering: the status says so and offers a retry.
  await page.route("**/api/sync/**", (route) => route.abort("connectionrefused"));
  await page.getByRole("link", { name: "New customer" }).click();
  await page.getByTestId("customer-form").getByLabel("Name").fill("Waiting for the server");
  await page.getByRole("button", { name: "Save customer" }).click();
  const status = page.getByTestId("sync-status");
  await expect(status).toHaveAttribute("data-state", "error");
  await expect(page.getByTestId("sync-detail")).toContainText("Sync failed: The server cannot be reached.");
  await expect(status).toHaveAttribute("data-pending", "1");

  await page.unroute("**/api/sync/**");
  await status.getByRole("button", { name: "Retry" }).click();
  await synced(page);
  await context.close();
});

import { expect } from "@playwright/test";
import { addCustomer, fillCustomerForm, open, search, synced, test, uid } from "./helpers";

test("three tabs: an edit in one shows in the others within a second, offline too", async ({ browser }) => {
  const tag = uid();
  const context = await browser.newContext();
  const [first, second, third] = [await context.newPage(), await context.newPage(), await context.newPage()];
  for (const page of [first, second, third]) await open(page);
  for (const page of [second, third]) await search(page).fill(tag);

  await addCustomer(first, { name: `Tabbed ${tag}` });
  for (const page of [second, third]) {
    await expect(page.getByTestId("customer-row")).toHaveCount(1, { timeout: 1_000 });
  }

  await synced(first);
  await context.setOffline(true);
  await first.getByRole("button", { name: "Edit" }).click();
  await fillCustomerForm(first, { status: "Customer" });
  await first.getByRole("button", { name: "Save changes" }).click();
  for (const page of [second, third]) {
    await expect(page.getByTestId("customer-row")).toContainText("Customer", { timeout: 1_000 });
    await expect(page.getByTestId("sync-status")).toHaveAttribute("data-pending", "1", { timeout: 1_000 });
  }

  await context.setOffline(false);
  for (const page of [first, second, third]) await synced(page);

  // Only one tab talks to the server: count the sync requests each tab makes.
  const requests = new Map<unknown, number>();
  for (const page of [first, second, third]) {
    requests.set(page, 0);
    page.on("request", (request) => {
      if (request.url().includes("/api/sync/")) requests.set(page, (requests.get(page) ?? 0) + 1);
    });
  }
  await first.waitForTimeout(12_000);
  const talking = [...requests.values()].filter((count) => count > 0);
  expect(talking).toHaveLength(1);
  await context.close();
});

test("closing the tab between a local write and its push loses nothing", async ({ twoDevices }) => {
  const tag = uid();
  const [{ context, page }, { page: elsewhere }] = twoDevices;
  await open(page);
  await context.setOffline(true);
  await addCustomer(page, { name: `Unpushed ${tag}` });
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-pending", "1");
  await page.close();
  await context.setOffline(false);

  const next = await context.newPage();
  await open(next);
  // The closed tab never saw `pagehide`, so its sync lease has to run out first.
  await synced(next, 30_000);
  await open(elsewhere);
  await search(elsewhere).fill(tag);
  await expect(elsewhere.getByTestId("customer-row")).toHaveCount(1);
});

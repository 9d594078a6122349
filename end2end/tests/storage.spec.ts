import { expect, test } from "@playwright/test";
import { addCustomer, fillCustomerForm, open, synced, uid } from "./helpers";

test("the status line says whether the browser keeps the local copy and how much room it takes", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await open(page);
  const detail = page.getByTestId("storage-detail");
  await expect(detail).toHaveText(
    /^Storage: (kept \(persistent\)|may be cleared by the browser) · [\d.]+ [KMGT]?B of [\d.]+ [KMGT]?B used$/,
  );
  // The app asked for persistent storage, and says what the browser decided.
  const persisted = await page.evaluate(() => navigator.storage.persisted());
  await expect(detail).toContainText(persisted ? "kept (persistent)" : "may be cleared by the browser");
  await context.close();
});

test("a change the browser has no room for says so, keeps the form and what is waiting, and saves once there is room", async ({
  browser,
}) => {
  const tag = uid();
  const context = await browser.newContext();
  // The browser refuses writes to the outbox as when its quota is used up.
  // (Chromium's Storage.overrideQuotaForOrigin does not reach a database
  // that already exists, so the refusal is made where IndexedDB is called.)
  await context.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore["put"]>) {
      if ((window as unknown as { storageFull?: boolean }).storageFull && this.name === "outbox") {
        throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
      }
      return put.apply(this, args);
    };
  });
  const page = await context.newPage();
  await open(page);
  const status = page.getByTestId("sync-status");
  await context.setOffline(true);
  await addCustomer(page, { name: `Waiting ${tag}` });
  await expect(status).toHaveAttribute("data-pending", "1");

  await page.evaluate(() => ((window as unknown as { storageFull: boolean }).storageFull = true));
  await page.getByRole("navigation").getByRole("link", { name: "Customers" }).click();
  await page.getByRole("link", { name: "New customer" }).click();
  await fillCustomerForm(page, { name: `No room ${tag}`, notes: "typed with care" });
  await page.getByRole("button", { name: "Save customer" }).click();
  const form = page.getByTestId("customer-form");
  await expect(form.getByTestId("form-error")).toContainText("This browser has no room left for Clientele");
  await expect(form.getByTestId("form-error")).toContainText(
    "What you typed is still here and the changes already waiting are kept",
  );
  await expect(form.getByLabel("Name")).toHaveValue(`No room ${tag}`);
  await expect(form.getByLabel("Notes")).toHaveValue("typed with care");
  await expect(status).toHaveAttribute("data-pending", "1");

  await page.evaluate(() => ((window as unknown as { storageFull: boolean }).storageFull = false));
  await page.getByRole("button", { name: "Save customer" }).click();
  await expect(page.getByTestId("customer-name")).toHaveText(`No room ${tag}`);
  await expect(status).toHaveAttribute("data-pending", "2");
  await context.setOffline(false);
  await synced(page);
  await context.close();
});

test("changes that could not be sent for more than a day are pointed out, with what to do", async ({ browser }) => {
  const tag = uid();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.clock.install();
  await open(page);
  await context.setOffline(true);
  await addCustomer(page, { name: `Old change ${tag}` });
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-pending", "1");
  await expect(page.getByTestId("stale-changes")).toHaveCount(0);

  await page.clock.fastForward("25:00:00");
  await expect(page.getByTestId("stale-changes")).toHaveText(
    "1 change made more than a day ago has not reached the server. " +
      "Keep this tab open while online, or sign in again if you were signed out.",
  );
  await context.setOffline(false);
  await synced(page, 30_000);
  await expect(page.getByTestId("stale-changes")).toHaveCount(0);
  await context.close();
});

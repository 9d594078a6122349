import { expectNoSeriousViolations } from "./a11y-helpers";
import { addCustomer, expect, fillCustomerForm, open, synced, test, uid } from "./helpers";
import type { Page } from "@playwright/test";

/** Opens the History view of the record page shown, if it is closed. */
async function showHistory(page: Page): Promise<void> {
  const toggle = page.getByTestId("history-toggle");
  if ((await toggle.getAttribute("aria-expanded")) !== "true") await toggle.click();
}

test("the history of an edit made offline shows it queued, offline after a reload too, then both times, and restores the old value", async ({
  page,
  context,
}) => {
  const name = `History Ltd ${uid()}`;
  await open(page);
  await addCustomer(page, { name, city: "Leeds" });
  await synced(page);
  const history = page.getByTestId("history");
  await showHistory(page);
  // The history arrives after the sync that sent the customer.
  await expect(history.getByTestId("history-entry").filter({ hasText: "Created" })).toBeVisible();
  await expect(history.getByTestId("history-entry").first()).toContainText("by You on Chrome on Linux");

  await context.setOffline(true);
  await page.locator("#edit-record").click();
  await fillCustomerForm(page, { city: "York" });
  await page.getByRole("button", { name: "Save changes" }).click();
  await showHistory(page);
  const queued = history.getByTestId("history-entry").first();
  await expect(queued).toContainText("Not synced yet");
  await expect(queued).toContainText("City: York");
  await page.reload();
  await expect(page.getByTestId("customer-name")).toHaveText(name);
  await showHistory(page);
  await expect(history.getByTestId("history-entry").first()).toContainText("Not synced yet");
  await expect(history.getByTestId("history-entry").filter({ hasText: "Created" })).toBeVisible();
  await expectNoSeriousViolations(page, "the History view");

  // Long enough offline that the edit reaches the server well after it was made.
  await page.waitForTimeout(6_000);
  await context.setOffline(false);
  await synced(page);
  const edit = history.getByTestId("history-entry").filter({ hasText: "Edited" });
  await expect(edit).toContainText("City: Leeds → York");
  await expect(edit.getByTestId("history-when")).toHaveText(/^made .+ on the device, reached the server .+$/);
  await expect(history.getByTestId("history-entry").filter({ hasText: "Not synced yet" })).toHaveCount(0);

  await edit.getByRole("button", { name: "Restore City to Leeds" }).click();
  await expect(page.getByTestId("customer-page")).toContainText("Leeds");
  await synced(page);
  await expect(history.getByTestId("history-entry").first()).toContainText("City: York → Leeds");
});

import { expectNoSeriousViolations } from "./a11y-helpers";
import { addContact, addCustomer, colleague, expect, fillCustomerForm, open, search, synced, test, uid } from "./helpers";
import type { Page } from "@playwright/test";

/** A customer with three contacts, the second made the default; ends on its page. */
async function customerWithThreeContacts(page: Page, name: string): Promise<string> {
  await open(page);
  await addCustomer(page, { name });
  for (const first of ["Ana", "Ben", "Cy"]) await addContact(page, first, name);
  const ben = page.getByTestId("contact").filter({ hasText: "Ben" });
  await ben.getByRole("button", { name: "Make default" }).click();
  await expect(ben).toHaveAttribute("data-default", "true");
  return new URL(page.url()).pathname;
}

/** Deletes the customer whose page is open, answering its question. */
async function deleteCustomer(page: Page): Promise<void> {
  const header = page.getByTestId("customer-page").locator('[id^="delete-customer-"]');
  await header.click();
  await page.getByRole("button", { name: "Yes, delete" }).click();
  await expect(page.getByRole("heading", { name: "Customers" })).toBeVisible();
}

/** The customer page shows all three contacts with Ben the default. */
async function expectAllThreeBack(page: Page, name: string): Promise<void> {
  await expect(page.getByTestId("customer-name")).toHaveText(name);
  await expect(page.getByTestId("contact")).toHaveCount(3);
  await expect(page.locator('[data-testid="contact"][data-default="true"]')).toContainText("Ben");
}

test("a customer with three contacts deleted offline is back with all of them after Ctrl+Z, also after an offline reload and on another device", async ({
  twoDevices,
}) => {
  const name = `Undo Ltd ${uid()}`;
  const [{ context, page }, { page: other }] = twoDevices;
  const path = await customerWithThreeContacts(page, name);
  await synced(page);

  await context.setOffline(true);
  await deleteCustomer(page);
  await expect(page.getByTestId("undo-label")).toHaveText(`Deleted ${name}`);
  await expectNoSeriousViolations(page, "the undo notice");
  await page.keyboard.press("Control+z");
  await expect(page.getByTestId("undo-notice")).toHaveText(`Undone: Deleted ${name}`);
  await search(page).fill(name);
  await expect(page.getByTestId("customer-row")).toHaveCount(1);
  await page.goto(path);
  await expectAllThreeBack(page, name);
  await page.reload();
  await expectAllThreeBack(page, name);

  await context.setOffline(false);
  await synced(page);
  await open(other, path);
  await expectAllThreeBack(other, name);
});

test("undo refuses, naming who, when a colleague changed the record since", async ({ page, context, request }) => {
  const name = `Refuse Ltd ${uid()}`;
  await open(page);
  await addCustomer(page, { name, city: "Leeds" });
  await synced(page);
  const id = new URL(page.url()).pathname.split("/").pop() ?? "";

  await page.locator("#edit-record").click();
  await fillCustomerForm(page, { city: "York" });
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByTestId("undo-label")).toHaveText(`Saved ${name}`);
  await synced(page);
  // A colleague on another device moves the customer on again.
  const answer = await colleague(request).push([
    { entity: "customer", op: "upsert", record_id: id, base_version: 0, fields: { city: "Hull" } },
  ]);
  expect(answer.ok()).toBe(true);
  // Back online after a moment offline: this device pulls the change at once.
  await context.setOffline(true);
  await context.setOffline(false);
  await expect(page.getByTestId("customer-page")).toContainText("Hull");
  await page.getByTestId("undo").click();
  await expect(page.getByTestId("undo-refused")).toHaveText(/^Can't undo: .+ changed the city of .+ since\.$/);
  await expect(page.getByTestId("customer-page")).toContainText("Hull");
});

test("a customer deleted online comes back from the Trash after a reload with the contacts that went with it", async ({
  page,
}) => {
  const name = `Trash Ltd ${uid()}`;
  const path = await customerWithThreeContacts(page, name);
  await deleteCustomer(page);
  await synced(page);
  await page.reload();
  await page.getByRole("navigation").getByRole("link", { name: "Trash" }).click();
  await expect(page.getByRole("heading", { name: "Trash" })).toBeVisible();
  await page.getByRole("searchbox", { name: "Search the Trash" }).fill(name);
  const row = page.getByTestId("trash-row");
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("went-with")).toHaveText("3 records");
  await expectNoSeriousViolations(page, "the Trash");
  await row.getByRole("button", { name: `Restore ${name}` }).click();
  await expect(page.getByTestId("undo-label")).toHaveText(`Restored ${name}`);
  await expect(page.getByTestId("trash-row")).toHaveCount(0);
  await synced(page);
  await page.goto(path);
  await expectAllThreeBack(page, name);
});

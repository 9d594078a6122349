import { expect } from "@playwright/test";
import { addContact, addCustomer, fillCustomerForm, open, search, synced, test, uid } from "./helpers";

test("journey 5: work offline, then every change reaches the server and a second browser", async ({
  twoDevices,
}) => {
  const tag = uid();
  const [{ context: alice, page }, { page: other }] = twoDevices;
  await open(page);
  await addCustomer(page, { name: `Doomed ${tag}` });
  await page.getByRole("link", { name: "Customers" }).first().click();
  await addCustomer(page, { name: `Stays ${tag}` });
  await synced(page);

  await alice.setOffline(true);
  const status = page.getByTestId("sync-status");
  await expect(status).toHaveAttribute("data-state", "offline");
  await expect(page.getByTestId("connection")).toHaveText("Offline");

  // Add a customer with a contact, edit another, delete a third.
  await page.getByRole("link", { name: "Customers" }).first().click();
  await addCustomer(page, { name: `Offline Co ${tag}`, status: "Customer" });
  await addContact(page, "Olive", "Offline");
  await page.getByRole("link", { name: "Customers" }).first().click();
  await search(page).fill(`Stays ${tag}`);
  await page.getByRole("link", { name: `Stays ${tag}` }).click();
  await page.getByRole("button", { name: "Edit" }).click();
  await fillCustomerForm(page, { phone: "+1 555 0199", status: "Suspect" });
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByTestId("customer-status")).toHaveText("Suspect");
  await page.getByRole("link", { name: "Customers" }).first().click();
  await search(page).fill(`Doomed ${tag}`);
  await page.getByRole("link", { name: `Doomed ${tag}` }).click();
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("button", { name: "Yes, delete" }).click();

  await expect(status).toHaveAttribute("data-pending", "4");
  await expect(page.getByTestId("sync-detail")).toHaveText("4 changes waiting");

  await alice.setOffline(false);
  await synced(page);

  await open(other);
  await search(other).fill(tag);
  const rows = other.getByTestId("customer-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: `Offline Co ${tag}` })).toContainText("Olive Offline");
  await expect(rows.filter({ hasText: `Stays ${tag}` })).toContainText("Suspect");
  await expect(rows.filter({ hasText: `Stays ${tag}` })).toContainText("+1 555 0199");
  await expect(rows.filter({ hasText: `Doomed ${tag}` })).toHaveCount(0);
});

test("a second browser picks up changes on its next sync without reloading", async ({ twoDevices }) => {
  const tag = uid();
  const [{ page: a }, { page: b }] = twoDevices;
  await open(a);
  await open(b);
  await search(b).fill(tag);
  await addCustomer(a, { name: `Live ${tag}` });
  await synced(a);
  await expect(b.getByTestId("customer-row")).toHaveCount(1, { timeout: 20_000 });
});

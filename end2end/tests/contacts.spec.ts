import { expect } from "@playwright/test";
import { addContact, addCustomer, open, search, synced, test, uid } from "./helpers";

test("journey 4: contacts, with exactly one default", async ({ twoDevices }) => {
  const tag = uid();
  const [{ page }, { page: other }] = twoDevices;
  await open(page);
  await addCustomer(page, { name: `Wayne Enterprises ${tag}` });
  await expect(page.getByText("No contacts yet.")).toBeVisible();

  await addContact(page, "Lucius", "Fox", `lucius-${tag}@wayne.test`);
  await addContact(page, "Bruce", "Wayne");
  await addContact(page, "Alfred", "Pennyworth");
  const contacts = page.getByTestId("contact");
  await expect(contacts).toHaveCount(3);
  const defaults = page.locator('[data-testid="contact"][data-default="true"]');
  await expect(defaults).toHaveCount(1);
  await expect(defaults).toContainText("Lucius Fox");
  await expect(defaults).toContainText("Default");

  // Marking another default un-marks the old one.
  await contacts.filter({ hasText: "Bruce Wayne" }).getByRole("button", { name: "Make default" }).click();
  await expect(defaults).toHaveCount(1);
  await expect(defaults).toContainText("Bruce Wayne");

  // Edit a contact.
  await contacts.filter({ hasText: "Alfred" }).getByRole("button", { name: "Edit" }).click();
  await page.getByTestId("contact-form").getByLabel("Job title").fill("Butler");
  await page.getByRole("button", { name: "Save contact" }).click();
  await expect(contacts.filter({ hasText: "Alfred" })).toContainText("Butler");

  // The default shows in the list.
  await synced(page);
  await page.getByRole("link", { name: "Customers" }).first().click();
  await search(page).fill(tag);
  await expect(page.getByTestId("default-contact")).toHaveText("Bruce Wayne");
  await page.getByRole("link", { name: `Wayne Enterprises ${tag}` }).click();

  // Deleting the default promotes the oldest remaining contact.
  const bruce = contacts.filter({ hasText: "Bruce Wayne" });
  await bruce.getByRole("button", { name: "Delete" }).click();
  await bruce.getByRole("button", { name: "Yes, delete" }).click();
  await expect(contacts).toHaveCount(2);
  await expect(defaults).toHaveCount(1);
  await expect(defaults).toContainText("Lucius Fox");
  await synced(page);

  // And the server agrees: a fresh browser sees the same.
  await open(other);
  await search(other).fill(tag);
  await expect(other.getByTestId("default-contact")).toHaveText("Lucius Fox");
});

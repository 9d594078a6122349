import { expect } from "@playwright/test";
import { expectNoSeriousViolations } from "./a11y-helpers";
import { addContact, addCustomer, fillCustomerForm, open, synced, test, uid } from "./helpers";

test("two customers merged on one device while another edits the merged-away one offline end as one, with both changes", async ({
  twoDevices,
}) => {
  const tag = uid();
  // Digits no other journey's records share: a shared phone would join their group.
  const phone = `0161 ${Math.floor(1_000_000 + Math.random() * 9_000_000)}`;
  const [{ page: alice }, { context: bobContext, page: bob }] = twoDevices;
  await open(alice);
  await addCustomer(alice, { name: `Cedar Works ${tag}`, email: `office-${tag}@cedar.test` });
  const keptPath = new URL(alice.url()).pathname;
  await open(alice);
  await addCustomer(alice, {
    name: `Cedar Works Ltd ${tag}`,
    email: `OFFICE-${tag}@cedar.test`,
    phone,
  });
  const gonePath = new URL(alice.url()).pathname;
  await addContact(alice, "Gil", `Moved ${tag}`);
  await synced(alice);

  // Bob opens the second one and, offline, edits it and adds a contact.
  await open(bob, gonePath);
  await expect(bob.getByTestId("customer-name")).toHaveText(`Cedar Works Ltd ${tag}`);
  await bobContext.setOffline(true);
  await bob.locator("#edit-record").click();
  await fillCustomerForm(bob, { city: "Lyon" });
  await bob.getByRole("button", { name: "Save changes" }).click();
  await expect(bob.getByTestId("customer-page")).toContainText("Lyon");
  await addContact(bob, "Noa", `Offline ${tag}`);

  // Alice finds the pair on the Duplicates page and merges it, keeping the
  // older record and the other one's phone.
  await alice.getByRole("navigation").getByRole("link", { name: "Duplicates" }).click();
  const group = alice.getByTestId("duplicate-group").filter({ hasText: tag });
  await expect(group).toHaveCount(1);
  await expect(group).toContainText("Same email");
  await expect(group).toContainText("Same name");
  await group.getByRole("button", { name: /Review and merge/ }).click();
  const panel = alice.getByTestId("merge-panel");
  await expect(panel.locator('input[name="survivor"]')).toHaveCount(2);
  await expect(panel.getByRole("radio", { name: `Keep Cedar Works ${tag}`, exact: true })).toBeChecked();
  await expect(panel.getByRole("radio", { name: `Keep Phone: ${phone}` })).toBeChecked();
  await panel.getByRole("button", { name: "Merge 2 records" }).click();
  await expect(alice.getByTestId("merge-notice")).toContainText(`Cedar Works ${tag}`);
  await expect(alice.getByTestId("duplicate-group").filter({ hasText: tag })).toHaveCount(0);

  // The merged-away address opens the survivor, with the phone and the contact.
  await open(alice, gonePath);
  await expect(alice).toHaveURL(new RegExp(`${keptPath}$`));
  await expect(alice.getByTestId("customer-name")).toHaveText(`Cedar Works ${tag}`);
  await expect(alice.getByRole("link", { name: phone })).toBeVisible();
  await expect(alice.getByTestId("contact").filter({ hasText: `Moved ${tag}` })).toHaveCount(1);
  await synced(alice);

  // Bob comes back: his page moves to the survivor, which has both changes.
  await bobContext.setOffline(false);
  await synced(bob);
  await expect(bob).toHaveURL(new RegExp(`${keptPath}$`), { timeout: 20_000 });
  await expect(bob.getByTestId("customer-page")).toContainText("Lyon");
  await expect(bob.getByRole("link", { name: phone })).toBeVisible();
  for (const page of [alice, bob]) {
    await page.reload();
    await expect(page.getByTestId("customer-name")).toHaveText(`Cedar Works ${tag}`);
    await expect(page.getByTestId("customer-page")).toContainText("Lyon");
    await expect(page.getByTestId("contact").filter({ hasText: `Offline ${tag}` })).toHaveCount(1);
    await expect(page.getByTestId("contact").filter({ hasText: `Moved ${tag}` })).toHaveCount(1);
  }
});

test("two contacts merged offline stay merged over a reload, and the one kept is the default after sync", async ({ page, context }) => {
  const tag = uid();
  await open(page);
  await addCustomer(page, { name: `Birch ${tag}` });
  await addContact(page, "Dana", `Twice ${tag}`, `dana-${tag}@birch.test`);
  await addContact(page, "Dana", `Twice ${tag}`);
  await synced(page);

  await context.setOffline(true);
  await page.getByRole("navigation").getByRole("link", { name: "Duplicates" }).click();
  await page.getByRole("button", { name: "Contacts" }).click();
  const group = page.getByTestId("duplicate-group").filter({ hasText: tag });
  await expect(group).toHaveCount(1);
  await group.getByRole("button", { name: /Review and merge/ }).click();
  await page.getByTestId("merge-panel").getByRole("button", { name: "Merge 2 records" }).click();
  await expect(page.getByTestId("merge-notice")).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-loaded", "true");
  await page.getByRole("button", { name: "Contacts" }).click();
  await expect(page.getByTestId("duplicate-group").filter({ hasText: tag })).toHaveCount(0);
  await page.getByTestId("merge-notice").waitFor({ state: "detached" });
  await context.setOffline(false);
  await synced(page);
  await open(page, "/");
  await page.getByRole("searchbox", { name: "Search customers" }).fill(`Birch ${tag}`);
  await page.getByRole("link", { name: `Birch ${tag}` }).click();
  const contacts = page.getByTestId("contact");
  await expect(contacts).toHaveCount(1);
  await expect(contacts).toContainText(`dana-${tag}@birch.test`);
  await expect(contacts).toContainText("Default");
});

test("a customer merged by mistake is unmerged offline from the survivor's page and gets its contact back after sync", async ({
  page,
  context,
}) => {
  const tag = uid();
  const phone = `0113 ${Math.floor(1_000_000 + Math.random() * 9_000_000)}`;
  await open(page);
  await addCustomer(page, { name: `Larch ${tag}`, email: `hello-${tag}@larch.test` });
  const keptPath = new URL(page.url()).pathname;
  await open(page);
  await addCustomer(page, { name: `Larch Ltd ${tag}`, email: `hello-${tag}@larch.test`, phone });
  const gonePath = new URL(page.url()).pathname;
  await addContact(page, "Ivo", `Moved ${tag}`);
  await synced(page);

  await page.getByRole("navigation").getByRole("link", { name: "Duplicates" }).click();
  const group = page.getByTestId("duplicate-group").filter({ hasText: tag });
  await group.getByRole("button", { name: /Review and merge/ }).click();
  await page.getByTestId("merge-panel").getByRole("button", { name: "Merge 2 records" }).click();
  await expect(page.getByTestId("merge-notice")).toContainText(`Larch ${tag}`);
  await synced(page);

  await open(page, keptPath);
  await expect(page.getByRole("link", { name: phone })).toBeVisible();
  await expect(page.getByTestId("contact").filter({ hasText: `Moved ${tag}` })).toHaveCount(1);
  const merged = page.getByTestId("merged-record");
  await expect(merged).toHaveCount(1);
  await expect(merged).toContainText(`Larch Ltd ${tag}`);
  await expectNoSeriousViolations(page, "merged records");

  // Offline, the merged-away customer comes back at once.
  await context.setOffline(true);
  await merged.getByTestId("unmerge").click();
  await expectNoSeriousViolations(page, "unmerge question");
  await page.getByTestId("confirm-unmerge").click();
  await expect(page.getByTestId("unmerge-notice")).toHaveText(`Larch Ltd ${tag} is unmerged.`);
  await expect(page.getByTestId("merged-record")).toHaveCount(0);
  await open(page, gonePath);
  await expect(page).toHaveURL(new RegExp(`${gonePath}$`));
  await expect(page.getByTestId("customer-name")).toHaveText(`Larch Ltd ${tag}`);

  // Online, the server moves its contact back and takes the phone off the survivor.
  await context.setOffline(false);
  await synced(page);
  await expect(page.getByTestId("contact").filter({ hasText: `Moved ${tag}` })).toHaveCount(1, { timeout: 20_000 });
  await expect(page.getByTestId("contact").filter({ hasText: `Moved ${tag}` })).toContainText("Default");
  await open(page, keptPath);
  await expect(page.getByTestId("customer-name")).toHaveText(`Larch ${tag}`);
  await expect(page.getByTestId("contact")).toHaveCount(0);
  await expect(page.getByRole("link", { name: phone })).toHaveCount(0);
});

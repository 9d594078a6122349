import { expect } from "@playwright/test";
import { addCustomer, fillCustomerForm, open, synced, test, uid } from "./helpers";

test("journey 2 of issue 3: two people edit one customer, one of them offline", async ({ twoDevices }) => {
  const tag = uid();
  const [{ context: aliceContext, page: alice }, { context: bobContext, page: bob }] = twoDevices;
  await open(alice);
  await addCustomer(alice, { name: `Contested ${tag}`, email: `old-${tag}@x.test`, phone: "100" });
  await synced(alice);
  const url = alice.url();
  await open(bob, new URL(url).pathname);
  await expect(bob.getByTestId("customer-name")).toHaveText(`Contested ${tag}`);

  // Bob goes offline and edits the phone and the email.
  await bobContext.setOffline(true);
  await bob.getByRole("button", { name: "Edit" }).click();
  await fillCustomerForm(bob, { phone: "200", email: `bob-${tag}@x.test` });
  await bob.getByRole("button", { name: "Save changes" }).click();
  await expect(bob.getByRole("link", { name: `bob-${tag}@x.test` })).toBeVisible();

  // Meanwhile Alice, online, edits the status and the email.
  await alice.getByRole("button", { name: "Edit" }).click();
  await fillCustomerForm(alice, { status: "Customer", email: `alice-${tag}@x.test` });
  await alice.getByRole("button", { name: "Save changes" }).click();
  await expect(alice.getByRole("link", { name: `alice-${tag}@x.test` })).toBeVisible();
  await synced(alice);

  // Bob comes back: different fields both survive, the same field is a conflict.
  await bobContext.setOffline(false);
  await synced(bob);
  for (const page of [alice, bob]) {
    await expect(page.getByTestId("customer-status")).toHaveText("Customer", { timeout: 20_000 });
    await expect(page.getByRole("link", { name: "200", exact: true })).toBeVisible();
    await expect(page.getByRole("link", { name: `bob-${tag}@x.test` })).toBeVisible();
    const marker = page.getByTestId("conflict");
    await expect(marker).toHaveCount(1);
    await expect(marker).toContainText("Email");
    await expect(marker.getByTestId("overwritten")).toHaveText(`alice-${tag}@x.test`);
    // Both browsers are signed in as the same member: the marker names the person.
    await expect(marker).toContainText("from you");
  }

  // One click puts Alice's value back, and it syncs like any edit.
  await alice.getByRole("button", { name: `Restore “alice-${tag}@x.test”` }).click();
  await expect(alice.getByRole("link", { name: `alice-${tag}@x.test` })).toBeVisible();
  await expect(alice.getByTestId("conflict")).toHaveCount(0);
  await synced(alice);
  await expect(bob.getByRole("link", { name: `alice-${tag}@x.test` })).toBeVisible({ timeout: 20_000 });
  await expect(bob.getByTestId("conflict")).toHaveCount(0);
});

test("an edit to a customer a colleague deleted meanwhile needs attention and can restore it", async ({
  twoDevices,
}) => {
  const tag = uid();
  const [{ context: aliceContext, page: alice }, { context: bobContext, page: bob }] = twoDevices;
  await open(alice);
  await addCustomer(alice, { name: `Deleted meanwhile ${tag}`, phone: "100" });
  await synced(alice);
  const path = new URL(alice.url()).pathname;
  await open(bob, path);
  await expect(bob.getByTestId("customer-name")).toBeVisible();

  await bobContext.setOffline(true);
  await bob.getByRole("button", { name: "Edit" }).click();
  await fillCustomerForm(bob, { phone: "999" });
  await bob.getByRole("button", { name: "Save changes" }).click();
  await alice.getByRole("button", { name: "Delete" }).click();
  await alice.getByRole("button", { name: "Yes, delete" }).click();
  await synced(alice);

  await bobContext.setOffline(false);
  const attention = bob.getByTestId("rejected-changes");
  await expect(attention).toContainText("this customer was deleted by someone else");
  await expect(bob.getByTestId("customer-missing")).toBeVisible();
  await attention.getByRole("button", { name: "Restore with my changes" }).click();
  await expect(attention.getByLabel("Phone")).toHaveValue("999");
  await attention.getByRole("button", { name: "Resend" }).click();
  await expect(attention).toHaveCount(0);
  await expect(bob.getByTestId("customer-name")).toHaveText(`Deleted meanwhile ${tag}`);
  await synced(bob);

  await open(alice, path);
  await expect(alice.getByRole("link", { name: "999", exact: true })).toBeVisible({ timeout: 20_000 });
});

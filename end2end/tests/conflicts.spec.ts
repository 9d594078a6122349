import { expect, test } from "@playwright/test";
import { addCustomer, fillCustomerForm, open, synced, uid } from "./helpers";

test("journey 2 of issue 3: two people edit one customer, one of them offline", async ({ browser }) => {
  const tag = uid();
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const alice = await aliceContext.newPage();
  const bob = await bobContext.newPage();
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

  // Meanwhile Alice, online, edits the status and the email.
  await alice.getByRole("button", { name: "Edit" }).click();
  await fillCustomerForm(alice, { status: "Customer", email: `alice-${tag}@x.test` });
  await alice.getByRole("button", { name: "Save changes" }).click();
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
    await expect(marker).toContainText(page === bob ? "this browser" : "another device");
  }

  // One click puts Alice's value back, and it syncs like any edit.
  await alice.getByRole("button", { name: `Restore “alice-${tag}@x.test”` }).click();
  await expect(alice.getByRole("link", { name: `alice-${tag}@x.test` })).toBeVisible();
  await expect(alice.getByTestId("conflict")).toHaveCount(0);
  await synced(alice);
  await expect(bob.getByRole("link", { name: `alice-${tag}@x.test` })).toBeVisible({ timeout: 20_000 });
  await expect(bob.getByTestId("conflict")).toHaveCount(0);
  await aliceContext.close();
  await bobContext.close();
});

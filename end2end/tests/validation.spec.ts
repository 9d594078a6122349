import { expect, test } from "@playwright/test";
import { addCustomer, colleague, customerDelete, fillCustomerForm, open, synced, uid } from "./helpers";

test("journey 6: bad input is explained at the field, in the form and by the server", async ({ page, request }) => {
  const tag = uid();
  await open(page);
  await addCustomer(page, { name: `Stark ${tag}`, email: `tony-${tag}@stark.test` });
  await synced(page);
  const customerUrl = page.url();

  await page.getByRole("button", { name: "Edit" }).click();
  const form = page.getByTestId("customer-form");

  await fillCustomerForm(page, { name: "" });
  await form.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByTestId("error-name")).toHaveText("Name is required");
  await expect(page.getByTestId("form-error")).toContainText("Name is required");
  await expect(form.getByLabel("Name")).toHaveAttribute("aria-invalid", "true");

  await fillCustomerForm(page, { name: "x".repeat(5000) });
  await form.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByTestId("error-name")).toHaveText("Name must be at most 200 characters (it has 5000)");

  await fillCustomerForm(page, { name: `Stark ${tag}`, email: "tony at stark" });
  await form.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByTestId("error-email")).toHaveText("Email must be an address like name@example.com");
  await expect(page.getByTestId("error-name")).toHaveText("");

  // Nothing was queued and nothing saved before is lost, even after a reload.
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-pending", "0");
  await page.goto(customerUrl);
  await expect(page.getByTestId("customer-name")).toHaveText(`Stark ${tag}`);
  await expect(page.getByRole("link", { name: `tony-${tag}@stark.test` })).toBeVisible();

  // The server applies the same rules to anything pushed to it directly.
  const reply = await colleague(request).push([
    {
      entity: "customer",
      op: "upsert",
      record_id: customerUrl.split("/").pop()!,
      base_version: 0,
      fields: { name: "y".repeat(5000), email: "still not an email" },
    },
  ]);
  expect(reply.status()).toBe(200);
  const body = await reply.json();
  expect(body.results[0].status).toBe("rejected");
  expect(body.results[0].error.field).toBe("name");
  expect(body.results[0].error.message).toBe("Name must be at most 200 characters (it has 5000)");
  await page.reload();
  await expect(page.getByTestId("customer-name")).toHaveText(`Stark ${tag}`);
});

test("a value the server refuses shows in 'Needs attention' with its reason", async ({ page, request }) => {
  const tag = uid();
  await open(page);
  await addCustomer(page, { name: `Gone ${tag}` });
  await synced(page);
  const customerId = page.url().split("/").pop()!;

  // A colleague deletes the customer while this browser is offline and adds a contact to it.
  await page.context().setOffline(true);
  await page.getByRole("button", { name: "Add contact" }).click();
  await page.getByTestId("contact-form").getByLabel("First name").fill("Orphan");
  await page.getByTestId("contact-form").getByRole("button", { name: "Add contact" }).click();
  const deleted = await colleague(request).push([customerDelete(customerId)]);
  expect((await deleted.json()).results[0].status).toBe("applied");
  await page.context().setOffline(false);

  const attention = page.getByTestId("rejected-changes");
  await expect(attention).toContainText("Orphan");
  await expect(attention).toContainText("Customer does not exist");
  await expect(page.getByTestId("customer-missing")).toBeVisible();

  // Fixing it: the form comes back filled in; resending to a deleted customer
  // is refused again, here in the browser, so the user discards it.
  await attention.getByRole("button", { name: "Fix and resend" }).click();
  await expect(attention.getByLabel("First name")).toHaveValue("Orphan");
  await attention.getByRole("button", { name: "Resend" }).click();
  await expect(attention.getByTestId("form-error")).toContainText("Customer does not exist");
  await attention.getByRole("button", { name: "Discard" }).click();
  await expect(attention).toHaveCount(0);
});

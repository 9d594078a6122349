import { expect } from "@playwright/test";
import { addCustomer, colleague, customerUpsert, fillCustomerForm, open, search, synced, test, uid } from "./helpers";

// Journey 2 counts every customer of the team, and the long list adds 400:
// each test here gets a team of its own, so tests in other workers neither
// change the counts nor get the bulk rows.
test.use({ team: "own" });

test("journey 1: add a customer with every field and find it in the list", async ({ page }) => {
  const tag = uid();
  const name = `Acme Ltd ${tag}`;
  await open(page);
  await expect(page.getByRole("heading", { name: "Customers" })).toBeVisible();
  await addCustomer(page, {
    name,
    kind: "Company",
    status: "Suspect",
    email: `sales-${tag}@acme.test`,
    phone: "+44 20 7946 0000",
    website: "acme.test",
    street: "1 High Street",
    postcode: "EC1A 1BB",
    city: "London",
    country: "United Kingdom",
    notes: "Met at the trade fair.\nWants a demo in spring.",
  });
  await expect(page.getByTestId("customer-status")).toHaveText("Suspect");
  await expect(page.getByRole("link", { name: `sales-${tag}@acme.test` })).toBeVisible();
  await expect(page.getByRole("link", { name: "+44 20 7946 0000" })).toBeVisible();
  await expect(page.getByText("1 High Street, EC1A 1BB, London, United Kingdom")).toBeVisible();
  await expect(page.getByText("Wants a demo in spring.")).toBeVisible();
  await synced(page);

  await page.getByRole("link", { name: "Customers" }).first().click();
  await search(page).fill(tag);
  const row = page.getByTestId("customer-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(name);
  await expect(row).toContainText("Suspect");
});

test("journey 2: filter by status with counts, and search by name, email or phone", async ({ page }) => {
  const tag = uid();
  await open(page);
  // The counts before, once this new device has everything.
  await expect(page.getByTestId("sync-detail")).toContainText("All changes synced");
  const countOf = async (status: string) =>
    Number(await page.getByTestId(`status-${status}`).locator(".count").textContent());
  const prospectsBefore = await countOf("prospect");
  const inactiveBefore = await countOf("inactive");
  const allBefore = await countOf("all");

  await addCustomer(page, { name: `Globex ${tag}`, status: "Prospect", email: `hi-${tag}@globex.test` });
  await page.getByRole("link", { name: "Customers" }).first().click();
  await addCustomer(page, { name: `Initech ${tag}`, status: "Inactive", phone: `555 ${tag.length}99 ${tag}` });
  await page.getByRole("link", { name: "Customers" }).first().click();
  await addCustomer(page, { name: `Umbrella ${tag}`, status: "Prospect", kind: "Person" });
  await page.getByRole("link", { name: "Customers" }).first().click();

  await expect(page.getByTestId("status-all")).toHaveAttribute("aria-pressed", "true");
  expect(await countOf("prospect")).toBe(prospectsBefore + 2);
  expect(await countOf("inactive")).toBe(inactiveBefore + 1);
  expect(await countOf("all")).toBe(allBefore + 3);

  await search(page).fill(tag);
  await expect(page.getByTestId("customer-row")).toHaveCount(3);
  await page.getByTestId("status-prospect").click();
  await expect(page.getByTestId("customer-row")).toHaveCount(2);
  await page.getByTestId("status-inactive").click();
  await expect(page.getByTestId("customer-row")).toHaveCount(1);
  await expect(page.getByTestId("customer-row")).toContainText(`Initech ${tag}`);
  await page.getByTestId("status-all").click();

  await search(page).fill(`HI-${tag}@GLOBEX`);
  await expect(page.getByTestId("customer-row")).toHaveCount(1);
  await expect(page.getByTestId("customer-row")).toContainText(`Globex ${tag}`);
  await search(page).fill(`${tag.length}99`);
  await expect(page.getByTestId("customer-row").filter({ hasText: `Initech ${tag}` })).toHaveCount(1);
  await search(page).fill(`nothing-like-${tag}`);
  await expect(page.getByTestId("empty-list")).toHaveText("No customers match this filter.");
});

test("journey 3: edit any field of a customer, then delete it after confirming", async ({ page }) => {
  const tag = uid();
  await open(page);
  await addCustomer(page, { name: `Hooli ${tag}`, status: "Prospect", phone: "111" });

  await page.getByRole("button", { name: "Edit" }).click();
  await fillCustomerForm(page, { name: `Hooli XYZ ${tag}`, status: "Customer", phone: "222", city: "Palo Alto" });
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByTestId("customer-name")).toHaveText(`Hooli XYZ ${tag}`);
  await expect(page.getByTestId("customer-status")).toHaveText("Customer");
  await expect(page.getByRole("link", { name: "222", exact: true })).toBeVisible();
  await expect(page.getByText("Palo Alto", { exact: true })).toBeVisible();

  await page.reload();
  await expect(page.getByTestId("customer-name")).toHaveText(`Hooli XYZ ${tag}`);

  await page.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("alertdialog")).toContainText(`Delete Hooli XYZ ${tag}?`);
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByTestId("customer-name")).toBeVisible();
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("button", { name: "Yes, delete" }).click();
  await expect(page).toHaveURL(/\/$/);
  await search(page).fill(tag);
  await expect(page.getByTestId("customer-row")).toHaveCount(0);
  await synced(page);
});

test("a long list draws only the rows in view and scrolls through every customer", async ({ page }) => {
  const tag = uid();
  await open(page);
  // 400 customers arrive from a colleague (another client of the same team).
  const bulk = Array.from({ length: 400 }, (_, n) =>
    customerUpsert({ name: `Bulk ${tag} ${String(n).padStart(3, "0")}` }),
  );
  const pushed = (await colleague(page.request).push(bulk)).status();
  expect(pushed).toBe(200);
  await page.reload();
  await synced(page);
  await search(page).fill(`Bulk ${tag}`);
  await expect(page.getByRole("link", { name: `Bulk ${tag} 000` })).toBeVisible();
  const drawn = await page.getByTestId("customer-row").count();
  expect(drawn).toBeGreaterThan(5);
  expect(drawn).toBeLessThan(60);
  await expect(page.getByRole("table")).toHaveAttribute("aria-rowcount", "401");

  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await expect(page.getByRole("link", { name: `Bulk ${tag} 399` })).toBeInViewport();
  await expect(page.getByRole("link", { name: `Bulk ${tag} 000` })).toHaveCount(0);
  expect(await page.getByTestId("customer-row").count()).toBeLessThan(60);

  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight / 2));
  // Halfway down, the middle of the screen shows a customer from the middle.
  const atCentre = () =>
    page.evaluate(() => {
      const cell = document.elementFromPoint(window.innerWidth / 4, window.innerHeight / 2);
      return cell?.closest("tr")?.querySelector("a")?.textContent ?? "";
    });
  await expect.poll(atCentre).toMatch(new RegExp(`^Bulk ${tag} (1[6-9]\\d|2[0-3]\\d)$`));
});

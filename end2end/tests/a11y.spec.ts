import type { Page } from "@playwright/test";
import { addContact, addCustomer, expect, open, synced, test, uid } from "./helpers";
import { expectNoSeriousViolations } from "./a11y-helpers";

/** The records every walk visits, made once for the whole file. */
interface Records {
  tag: string;
  customerName: string;
  leadName: string;
  invitation: string;
}

let records: Records;

test.beforeAll(async ({ browser }) => {
  const tag = uid();
  const page = await (await browser.newContext()).newPage();
  await open(page);
  const customerName = `Axe Works ${tag}`;
  await addCustomer(page, {
    name: customerName,
    email: `office-${tag}@axe.test`,
    phone: "+44 20 7946 0000",
    city: "London",
    notes: "Checked by axe on every run.",
  });
  await addContact(page, "Ada", `Lovelace ${tag}`, `ada-${tag}@axe.test`);
  await addContact(page, "Charles", `Babbage ${tag}`);

  await page.getByRole("button", { name: "Add opportunity" }).click();
  const opportunity = page.getByTestId("opportunity-form");
  await opportunity.getByLabel("Title").fill(`Engine ${tag}`);
  await opportunity.getByLabel("Amount").fill("12500");
  await opportunity.getByLabel("Currency").fill("GBP");
  await opportunity.getByRole("button", { name: "Add opportunity" }).click();
  await expect(opportunity).toHaveCount(0);

  // An overdue task shows the highlighted row on the timeline and on /tasks.
  // After the sync: the form starts again when the contacts it lists change.
  await synced(page);
  await page.getByRole("button", { name: "Log activity" }).click();
  const activity = page.getByTestId("activity-form");
  await activity.getByLabel("Kind").selectOption("task");
  await activity.getByLabel("Subject").fill(`Send the plans ${tag}`);
  await activity.getByLabel("Due").fill("2020-01-01T09:00");
  await activity.getByRole("button", { name: "Save activity" }).click();
  await expect(activity).toHaveCount(0);

  // A lead with the contact's email, so its convert panel lists a duplicate.
  const leadName = `Ada Lovelace ${tag}`;
  await open(page, "/leads/new");
  const lead = page.getByTestId("lead-form");
  await lead.getByLabel("Person name").fill(leadName);
  await lead.getByLabel("Email").fill(`ada-${tag}@axe.test`);
  await lead.getByRole("button", { name: "Save lead" }).click();
  await expect(page.getByTestId("lead-page")).toBeVisible();
  // A customer entered twice, for the Duplicates page and its merge panel.
  await open(page);
  await addCustomer(page, { name: `Axe Works Limited ${tag}`, email: `office-${tag}@axe.test` });
  await synced(page);

  await open(page, "/account");
  await page.getByRole("button", { name: "Create invitation link" }).click();
  const invitation = await page.getByTestId("invite-link").inputValue();
  await page.context().close();
  records = { tag, customerName, leadName, invitation };
});

/** Opens the customer made for this file from the customer list. */
async function openCustomer(page: Page): Promise<void> {
  await page.getByRole("navigation").getByRole("link", { name: "Customers" }).click();
  await page.getByRole("searchbox", { name: "Search customers" }).fill(records.tag);
  await page.getByRole("link", { name: records.customerName }).click();
  await expect(page.getByTestId("customer-name")).toHaveText(records.customerName);
}

/** Opens one of the customer page's inline forms, checks it, and cancels it. */
async function checkInlineForm(page: Page, button: string, form: string, state: string): Promise<void> {
  await page.getByRole("button", { name: button, exact: true }).first().click();
  await expect(page.getByTestId(form)).toBeVisible();
  await expectNoSeriousViolations(page, state);
  await page.getByTestId(form).getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByTestId(form)).toHaveCount(0);
}

/** Every signed-in page and every form and panel on them, with data. */
async function walkSignedIn(page: Page, where: string): Promise<void> {
  await open(page);
  await expect(page.getByTestId("customer-row").first()).toBeVisible();
  await expectNoSeriousViolations(page, `customer list ${where}`);

  await page.getByRole("link", { name: "New customer" }).click();
  const form = page.getByTestId("customer-form");
  await expect(form).toBeVisible();
  await expectNoSeriousViolations(page, `new customer form ${where}`);
  await form.getByRole("button", { name: "Save customer" }).click();
  await expect(page.getByTestId("error-name")).not.toBeEmpty();
  await expectNoSeriousViolations(page, `new customer form with an error ${where}`);
  await form.getByRole("button", { name: "Cancel" }).click();

  await openCustomer(page);
  await expect(page.getByTestId("contact")).toHaveCount(2);
  await expect(page.getByTestId("activity")).toHaveCount(1);
  await expectNoSeriousViolations(page, `customer page ${where}`);
  await checkInlineForm(page, "Edit", "customer-form", `customer edit form ${where}`);
  await checkInlineForm(page, "Add contact", "contact-form", `add contact form ${where}`);
  await checkInlineForm(page, "Add opportunity", "opportunity-form", `add opportunity form ${where}`);
  await checkInlineForm(page, "Log activity", "activity-form", `add activity form ${where}`);
  await page.getByRole("button", { name: "Delete", exact: true }).first().click();
  await expect(page.getByRole("alertdialog")).toBeVisible();
  await expectNoSeriousViolations(page, `customer delete confirmation ${where}`);
  await page.getByRole("alertdialog").getByRole("button", { name: "Cancel" }).click();

  await page.getByTestId("opportunities").getByRole("link", { name: `Engine ${records.tag}` }).click();
  await expect(page.getByTestId("opportunity-title")).toHaveText(`Engine ${records.tag}`);
  await expectNoSeriousViolations(page, `opportunity page ${where}`);

  await page.getByRole("navigation").getByRole("link", { name: "Leads" }).click();
  await expect(page.getByTestId("lead-row").first()).toBeVisible();
  await expectNoSeriousViolations(page, `lead list ${where}`);
  await page.getByRole("link", { name: "New lead" }).click();
  await expect(page.getByTestId("lead-form")).toBeVisible();
  await expectNoSeriousViolations(page, `new lead form ${where}`);
  await page.getByTestId("lead-form").getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("searchbox", { name: "Search leads" }).fill(records.tag);
  await page.getByRole("link", { name: records.leadName }).click();
  await expect(page.getByTestId("lead-page")).toBeVisible();
  await expectNoSeriousViolations(page, `lead page ${where}`);
  await page.getByRole("button", { name: "Convert to customer" }).click();
  await expect(page.getByTestId("duplicate")).toHaveCount(1);
  await expectNoSeriousViolations(page, `lead convert panel ${where}`);
  await page.getByTestId("convert-panel").getByRole("button", { name: "Cancel" }).click();

  await page.getByRole("navigation").getByRole("link", { name: "Pipeline" }).click();
  await expect(page.getByTestId("deal").first()).toBeVisible();
  await expectNoSeriousViolations(page, `pipeline ${where}`);

  await page.getByRole("navigation").getByRole("link", { name: "Tasks" }).click();
  await expect(page.getByTestId("task").first()).toBeVisible();
  await expectNoSeriousViolations(page, `tasks ${where}`);

  await page.getByRole("navigation").getByRole("link", { name: "Customers" }).click();
  await page.getByTestId("import").click();
  await page.getByTestId("import-file").setInputFiles({
    name: "a11y.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(`Company,E-mail,Status\nA11y ${records.tag},bad,Hot\nFine ${records.tag},f@x.test,Prospect\n`),
  });
  await expect(page.getByTestId("import-check")).toBeVisible();
  await expectNoSeriousViolations(page, `import columns ${where}`);
  await page.getByTestId("import-check").click();
  await expect(page.getByTestId("import-invalid")).toHaveText("1");
  await expectNoSeriousViolations(page, `import preview ${where}`);

  await page.getByRole("navigation").getByRole("link", { name: "Customers" }).click();
  await page.getByTestId("select-row").first().click();
  await expect(page.getByTestId("bulk-bar")).toBeVisible();
  await expectNoSeriousViolations(page, `bulk actions ${where}`);
  await page.getByRole("button", { name: "Clear selection" }).click();
  await page.getByRole("navigation").getByRole("link", { name: "Trash" }).click();
  await expect(page.getByRole("heading", { name: "Trash" })).toBeVisible();
  await expectNoSeriousViolations(page, `trash ${where}`);

  await page.getByRole("navigation").getByRole("link", { name: "Duplicates" }).click();
  const group = page.getByTestId("duplicate-group").filter({ hasText: records.tag });
  await expect(group).toHaveCount(1);
  await expectNoSeriousViolations(page, `duplicates ${where}`);
  await group.getByRole("button", { name: /Review and merge/ }).click();
  await expect(page.getByTestId("merge-panel")).toBeVisible();
  await expectNoSeriousViolations(page, `merge panel ${where}`);
  await page.getByTestId("merge-panel").getByRole("button", { name: "Cancel" }).click();

  await page.getByRole("navigation").getByRole("link", { name: "Home" }).click();
  await expect(page.getByTestId("won-lost-chart")).toBeVisible();
  await expectNoSeriousViolations(page, `home ${where}`);

  await page.getByTestId("account-link").click();
  await page.getByRole("button", { name: "Create invitation link" }).click();
  await expect(page.getByTestId("invite-link")).not.toHaveValue("");
  await expectNoSeriousViolations(page, `account ${where}`);

  await page.context().setOffline(true);
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-state", "offline");
  await expectNoSeriousViolations(page, `status line offline ${where}`);
  await page.context().setOffline(false);
}

/** Sign-in, sign-up and join, as a visitor with no session sees them. */
async function walkSignedOut(page: Page, where: string): Promise<void> {
  await page.goto("/login");
  const login = page.getByTestId("login-form");
  await expect(login.getByRole("button", { name: "Sign in" })).toBeEnabled();
  await expectNoSeriousViolations(page, `sign-in ${where}`);
  await login.getByLabel("Email").fill(`nobody-${records.tag}@axe.test`);
  await login.getByLabel("Password").fill("not the password at all");
  await login.getByRole("button", { name: "Sign in" }).click();
  await expect(login.getByTestId("form-error")).toBeVisible();
  await expectNoSeriousViolations(page, `sign-in with an error ${where}`);

  await page.getByRole("link", { name: "Create a workspace for your team" }).click();
  const signup = page.getByTestId("signup-form");
  await expect(signup.getByRole("button", { name: "Create workspace" })).toBeEnabled();
  await expectNoSeriousViolations(page, `sign-up ${where}`);
  await signup.getByRole("button", { name: "Create workspace" }).click();
  await expect(signup.locator(".field.invalid")).not.toHaveCount(0);
  await expectNoSeriousViolations(page, `sign-up with an error ${where}`);

  await page.goto(records.invitation);
  await expect(page.getByTestId("join-form")).toBeVisible();
  await expectNoSeriousViolations(page, `join ${where}`);
  await page.goto("/join/not-an-invitation");
  await expect(page.getByTestId("join-heading")).toHaveText("This invitation cannot be used");
  await expectNoSeriousViolations(page, `join with a bad link ${where}`);
}

/** The browser reports the theme the walk is meant to check. */
async function expectColorScheme(page: Page, scheme: "light" | "dark"): Promise<void> {
  expect(await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches)).toBe(scheme === "dark");
}

for (const colorScheme of ["light", "dark"] as const) {
  for (const width of [1280, 390]) {
    test.describe(`${colorScheme} theme, ${width} px wide`, () => {
      test.use({ colorScheme, viewport: { width, height: width > 800 ? 800 : 844 } });
      const where = `(${colorScheme}, ${width} px)`;

      test("every signed-in page, form and panel has no serious or critical axe violation", async ({ page }) => {
        test.setTimeout(180_000);
        await expectColorScheme(page, colorScheme);
        await walkSignedIn(page, where);
      });

      test("sign-in, sign-up and join have no serious or critical axe violation", async ({ newVisitor }) => {
        const { page } = await newVisitor();
        await expectColorScheme(page, colorScheme);
        await walkSignedOut(page, where);
      });
    });
  }
}

import { expect, test, type Page } from "@playwright/test";
import { open, uid } from "./helpers";
import { E2E_PASSWORD, signedOutContext } from "./accounts";
import { expectFocusInside, expectVisibleFocus, tabTo } from "./a11y-helpers";

/** The focused element, to check where focus went. */
function focused(page: Page) {
  return page.locator(":focus");
}

test("a keyboard alone adds a customer and contacts, makes one the default, converts a lead and moves a deal", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  // A workspace of its own keeps every page short enough to walk with Tab.
  const tag = uid();
  const context = await signedOutContext(browser);
  const signup = await context.request.post("/api/auth/signup", {
    data: { email: `keys-${tag}@e2e.test`, password: E2E_PASSWORD, workspace_name: `Keyboard ${tag}` },
  });
  expect(signup.ok()).toBe(true);
  const page = await context.newPage();
  await open(page, "/");

  // A customer, from the list's "New customer" link.
  await tabTo(page, "New customer");
  await expectVisibleFocus(page);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "New customer" })).toBeVisible();
  await tabTo(page, "Name");
  await expectVisibleFocus(page);
  await page.keyboard.type(`Keyed Ltd ${tag}`);
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("customer-name")).toHaveText(`Keyed Ltd ${tag}`);

  // Two contacts: the form takes the focus and gives it back to its button.
  const contactForm = page.getByTestId("contact-form");
  await tabTo(page, "Add contact");
  await expectVisibleFocus(page);
  for (const name of ["Grace", "Alan"]) {
    await page.keyboard.press("Enter");
    await expect(contactForm).toBeVisible();
    await expectFocusInside(contactForm);
    await expect(focused(page)).toHaveAccessibleName(/First name/);
    await page.keyboard.type(name);
    await page.keyboard.press("Enter");
    await expect(contactForm).toHaveCount(0);
    await expect(focused(page)).toHaveText("Add contact");
  }
  const contacts = page.getByTestId("contact");
  await expect(contacts).toHaveCount(2);
  await expect(contacts.filter({ hasText: "Grace" })).toHaveAttribute("data-default", "true");

  // Escape cancels an inline form and focus goes back to its button.
  await page.keyboard.press("Enter");
  await expectFocusInside(contactForm);
  await page.keyboard.press("Escape");
  await expect(contactForm).toHaveCount(0);
  await expect(focused(page)).toHaveText("Add contact");

  // Alan becomes the default, by Space on "Make default".
  await tabTo(page, "Make default");
  await expectVisibleFocus(page);
  await page.keyboard.press("Space");
  await expect(contacts.filter({ hasText: "Alan" })).toHaveAttribute("data-default", "true");
  await expect(contacts.filter({ hasText: "Grace" })).toHaveAttribute("data-default", "false");
  // The button went away with the change; focus stays on Alan, at his Edit.
  await expect(contacts.filter({ hasText: "Alan" }).locator(":focus")).toHaveText("Edit");

  // A confirmation takes the focus, Escape closes it, focus returns to "Delete".
  await tabTo(page, "Delete", { backwards: true });
  await page.keyboard.press("Enter");
  const confirm = page.getByRole("alertdialog");
  await expect(confirm).toBeVisible();
  await expectFocusInside(confirm);
  await expectVisibleFocus(page);
  await page.keyboard.press("Escape");
  await expect(confirm).toHaveCount(0);
  await expect(focused(page)).toHaveText("Delete");
  await expect(page.getByTestId("customer-name")).toHaveText(`Keyed Ltd ${tag}`);

  // An opportunity on the customer.
  const opportunityForm = page.getByTestId("opportunity-form");
  await tabTo(page, "Add opportunity");
  await page.keyboard.press("Enter");
  await expectFocusInside(opportunityForm);
  await expect(focused(page)).toHaveAccessibleName(/Title/);
  await page.keyboard.type(`Pilot ${tag}`);
  await page.keyboard.press("Enter");
  await expect(opportunityForm).toHaveCount(0);
  await expect(focused(page)).toHaveText("Add opportunity");

  // A lead, converted into a new customer.
  await tabTo(page, "Leads", { backwards: true });
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Leads" })).toBeVisible();
  await tabTo(page, "New lead");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "New lead" })).toBeVisible();
  await tabTo(page, "Person name");
  await page.keyboard.type(`Lena ${tag}`);
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("lead-name")).toHaveText(`Lena ${tag}`);
  await tabTo(page, "Convert to customer");
  await expectVisibleFocus(page);
  await page.keyboard.press("Enter");
  const panel = page.getByTestId("convert-panel");
  await expect(panel).toBeVisible();
  await expectFocusInside(panel);
  await tabTo(page, "Convert");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("customer-name")).toHaveText(`Lena ${tag}`);
  await expect(page.getByTestId("contact")).toHaveAttribute("data-default", "true");

  // The pipeline: the deal moves to the next stage from its "Move to stage" list.
  await tabTo(page, "Pipeline", { backwards: true });
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("stage-qualification").getByTestId("deal")).toHaveCount(1);
  await tabTo(page, "Move to stage");
  await expectVisibleFocus(page);
  await page.keyboard.press("ArrowDown");
  await expect(page.getByTestId("stage-proposal").getByTestId("deal")).toContainText(`Pilot ${tag}`);
  await expect(page.getByTestId("stage-qualification").getByTestId("deal")).toHaveCount(0);
  await context.close();
});

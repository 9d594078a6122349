import { expect, type Page } from "@playwright/test";
import { addContact, addCustomer, logActivity, open, search, synced, test, uid } from "./helpers";

interface NewLead {
  person?: string;
  company?: string;
  email?: string;
  source?: string;
  status?: string;
}

/** Creates a lead through the form; ends on the lead's page. */
async function addLead(page: Page, lead: NewLead): Promise<void> {
  await page.getByRole("link", { name: "Leads", exact: true }).first().click();
  await page.getByRole("link", { name: "New lead" }).click();
  const form = page.getByTestId("lead-form");
  if (lead.person) await form.getByLabel("Person name").fill(lead.person);
  if (lead.company) await form.getByLabel("Company name").fill(lead.company);
  if (lead.email) await form.getByLabel("Email").fill(lead.email);
  if (lead.source) await form.getByLabel("Source").fill(lead.source);
  if (lead.status) await form.getByLabel("Status").selectOption(lead.status);
  await form.getByRole("button", { name: "Save lead" }).click();
  await expect(page.getByTestId("lead-page")).toBeVisible();
}

/** Adds an opportunity on the record page that is open. */
async function addOpportunity(page: Page, title: string, amount: string, currency = "EUR"): Promise<void> {
  await page.getByRole("button", { name: "Add opportunity" }).click();
  const form = page.getByTestId("opportunity-form");
  await form.getByLabel("Title").fill(title);
  await form.getByLabel("Amount").fill(amount);
  await form.getByLabel("Currency").fill(currency);
  await form.getByLabel("Expected close").fill("2026-12-31");
  await form.getByLabel("Probability").fill("40");
  await form.getByRole("button", { name: "Add opportunity" }).click();
  await expect(form).toHaveCount(0);
}

/** A local date-time N hours from now, as a datetime-local input takes it. */
function hoursFromNow(hours: number): string {
  const at = new Date(Date.now() + hours * 3_600_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

test("journey 1: leads are listed, filtered by status and searched", async ({ page }) => {
  const tag = uid();
  await open(page);
  await addLead(page, { person: `Nina ${tag}`, company: `Northwind ${tag}`, source: "Fair" });
  await addLead(page, { company: `Qualico ${tag}`, status: "Qualified" });
  await addLead(page, { person: `Lost ${tag}`, status: "Lost" });

  await page.getByRole("link", { name: "Leads", exact: true }).first().click();
  const searchbox = page.getByRole("searchbox", { name: "Search leads" });
  await searchbox.fill(tag);
  const rows = page.getByTestId("lead-row");
  await expect(rows).toHaveCount(3);
  await expect(rows.first()).toContainText(`Lost ${tag}`, { useInnerText: true });
  await page.getByTestId("lead-status-qualified").click();
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText(`Qualico ${tag}`);
  await page.getByTestId("lead-status-all").click();
  await searchbox.fill(`northwind ${tag}`);
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText(`Nina ${tag} (Northwind ${tag})`);
  await expect(rows).toContainText("Fair");

  // A lead needs a person or a company: the form says so at the field.
  await page.getByRole("link", { name: "New lead" }).click();
  await page.getByTestId("lead-form").getByRole("button", { name: "Save lead" }).click();
  await expect(page.getByTestId("error-person_name")).toHaveText("Enter a person name or a company name");
});

test("journey 2: converting a lead online makes one customer with its person as default contact and its history", async ({
  page,
}) => {
  const tag = uid();
  await open(page);
  await addLead(page, { person: `Jane ${tag} Doe`, company: `Acme ${tag}`, email: `jane-${tag}@acme.test` });
  await logActivity(page, "call", `Intro call ${tag}`);
  await addOpportunity(page, `Pilot ${tag}`, "5000");
  await synced(page);

  await page.getByRole("button", { name: "Convert to customer" }).click();
  const panel = page.getByTestId("convert-panel");
  await expect(panel).toContainText("No existing customer or contact looks like this lead.");
  // A converted lead has bought something: Customer unless the user says otherwise.
  await expect(panel.getByLabel("Customer status")).toHaveValue("Customer");
  await panel.getByRole("button", { name: "Convert" }).click();

  await expect(page.getByTestId("customer-name")).toHaveText(`Acme ${tag}`);
  await expect(page.getByTestId("customer-status")).toHaveText("Customer");
  const contact = page.getByTestId("contact");
  await expect(contact).toHaveCount(1);
  await expect(contact).toHaveAttribute("data-default", "true");
  await expect(contact.getByTestId("contact-name")).toHaveText(`Jane ${tag} Doe`);
  await expect(page.getByTestId("timeline").getByTestId("activity-subject")).toHaveText(`Intro call ${tag}`);
  await expect(page.getByTestId("opportunities").getByTestId("opportunity")).toContainText(`Pilot ${tag}`);
  await synced(page);

  // The lead is marked converted, links to its customer, and cannot convert again.
  await page.getByRole("link", { name: "Leads", exact: true }).first().click();
  await page.getByRole("searchbox", { name: "Search leads" }).fill(tag);
  await page.getByRole("link", { name: `Jane ${tag} Doe (Acme ${tag})` }).click();
  await expect(page.getByTestId("lead-status")).toHaveText("Converted");
  await expect(page.getByTestId("converted-customer")).toHaveText(`Acme ${tag}`);
  await expect(page.getByRole("button", { name: "Convert to customer" })).toHaveCount(0);

  // After a reload (the server's copy) there is still exactly one such customer.
  await page.reload();
  await open(page, "/");
  await search(page).fill(`Acme ${tag}`);
  await expect(page.getByTestId("customer-row")).toHaveCount(1);
});

test("journey 2: a lead matching an existing contact's email is attached instead of duplicated", async ({ page }) => {
  const tag = uid();
  await open(page);
  await addCustomer(page, { name: `Globex ${tag} Ltd` });
  await addContact(page, "Hank", `Scorpio${tag}`, `hank-${tag}@globex.test`);
  await addLead(page, { person: `Hank ${tag}`, company: `Globex ${tag}`, email: `HANK-${tag}@globex.test` });

  await page.getByRole("button", { name: "Convert to customer" }).click();
  const duplicates = page.getByTestId("duplicate");
  await expect(duplicates).toHaveCount(2);
  await expect(duplicates.first()).toContainText(`Hank Scorpio${tag} at Globex ${tag} Ltd (same email)`);
  await expect(duplicates.nth(1)).toContainText(`Globex ${tag} Ltd (similar name)`);
  await duplicates.first().getByRole("radio").check();
  // Attaching keeps the customer's status unless the user picks another.
  await expect(page.getByLabel("Customer status")).toHaveValue("");
  await page.getByRole("button", { name: "Convert", exact: true }).click();

  await expect(page.getByTestId("customer-name")).toHaveText(`Globex ${tag} Ltd`);
  await expect(page.getByTestId("customer-status")).toHaveText("Prospect");
  await expect(page.getByTestId("contact")).toHaveCount(1);
  await synced(page);
  await page.getByRole("link", { name: "Customers" }).first().click();
  await search(page).fill(`Globex ${tag}`);
  await expect(page.getByTestId("customer-row")).toHaveCount(1);
});

test("journey 2 offline: converting with no network shows at once, survives a reload, and two devices make one customer", async ({
  twoDevices,
}) => {
  const tag = uid();
  const [{ context: aliceContext, page: alice }, { context: bobContext, page: bob }] = twoDevices;
  await open(alice);
  await addLead(alice, { person: `Otto ${tag}`, company: `Offco ${tag}` });
  await synced(alice);
  const leadPath = new URL(alice.url()).pathname;
  await open(bob, leadPath);
  await expect(bob.getByTestId("lead-name")).toHaveText(`Otto ${tag} (Offco ${tag})`);

  // Both convert the same lead while offline.
  await aliceContext.setOffline(true);
  await bobContext.setOffline(true);
  for (const page of [alice, bob]) {
    await page.getByRole("button", { name: "Convert to customer" }).click();
    await page.getByTestId("convert-panel").getByRole("button", { name: "Convert" }).click();
    await expect(page.getByTestId("customer-name")).toHaveText(`Offco ${tag}`);
    await expect(page.getByTestId("contact")).toHaveAttribute("data-default", "true");
  }

  // Reload while offline: the service worker's shell and the local store still show it.
  await alice.reload();
  await expect(alice.getByTestId("customer-name")).toHaveText(`Offco ${tag}`);
  await expect(alice.getByTestId("sync-status")).toHaveAttribute("data-pending", "1");

  await aliceContext.setOffline(false);
  await synced(alice);
  await bobContext.setOffline(false);
  await synced(bob);
  await expect(bob.getByTestId("rejected-changes")).toHaveCount(0);

  for (const page of [alice, bob]) {
    await page.getByRole("link", { name: "Customers" }).first().click();
    await search(page).fill(`Offco ${tag}`);
    await expect(page.getByTestId("customer-row")).toHaveCount(1, { timeout: 20_000 });
  }
  await open(bob, leadPath);
  await expect(bob.getByTestId("lead-status")).toHaveText("Converted");
});

test("journey 2 undo: a conversion undone offline makes the lead a lead again, after a reload too, and takes its customer away", async ({
  page,
  context,
}) => {
  const tag = uid();
  await open(page);
  await addLead(page, { person: `Una ${tag}`, company: `Undone ${tag}`, status: "Qualified" });
  await synced(page);
  const leadPath = new URL(page.url()).pathname;

  await context.setOffline(true);
  await page.getByRole("button", { name: "Convert to customer" }).click();
  await page.getByTestId("convert-panel").getByRole("button", { name: "Convert" }).click();
  await expect(page.getByTestId("customer-name")).toHaveText(`Undone ${tag}`);
  await expect(page.getByTestId("undo-label")).toHaveText(`Converted Undone ${tag} into Undone ${tag}`);
  await page.getByTestId("undo").click();
  await expect(page.getByTestId("undo-notice")).toHaveText(`Undone: Converted Undone ${tag} into Undone ${tag}`);

  // At once, in the app, then after a reload: all offline.
  await page.getByRole("link", { name: "Leads", exact: true }).first().click();
  await page.getByRole("searchbox", { name: "Search leads" }).fill(tag);
  await page.getByRole("link", { name: `Una ${tag} (Undone ${tag})` }).click();
  for (const step of ["at once", "after a reload"]) {
    if (step !== "at once") await page.reload();
    await expect(page.getByTestId("lead-status"), step).toHaveText("Qualified");
    await expect(page.getByTestId("converted-customer"), step).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Convert to customer" }), step).toBeVisible();
  }

  await context.setOffline(false);
  await synced(page);
  await expect(page.getByTestId("rejected-changes")).toHaveCount(0);
  await page.getByRole("link", { name: "Customers" }).first().click();
  await search(page).fill(`Undone ${tag}`);
  await expect(page.getByTestId("customer-row")).toHaveCount(0);
  await page.goto(leadPath);
  await expect(page.getByTestId("lead-status")).toHaveText("Qualified");
});

test("journey 3: opportunities show on the pipeline by stage with totals and move by menu or drag", async ({ page }) => {
  const tag = uid();
  await open(page);
  await addCustomer(page, { name: `Dealco ${tag}` });
  await addOpportunity(page, `Big deal ${tag}`, "1,250.50");
  await expect(page.getByTestId("opportunity")).toContainText("EUR 1,250.50");
  await addOpportunity(page, `Side deal ${tag}`, "99", "usd");
  await synced(page);

  await page.getByRole("link", { name: "Pipeline" }).click();
  const qualification = page.getByTestId("stage-qualification");
  const proposal = page.getByTestId("stage-proposal");
  const negotiation = page.getByTestId("stage-negotiation");
  const big = page.getByTestId("deal").filter({ hasText: `Big deal ${tag}` });
  await expect(qualification.getByTestId("deal").filter({ hasText: `Big deal ${tag}` })).toHaveCount(1);
  await expect(qualification.getByTestId("stage-total")).toContainText("EUR");
  await expect(qualification.getByTestId("stage-total")).toContainText("USD");

  // The menu moves it to Proposal.
  await big.getByLabel("Move to stage").selectOption("Proposal");
  await expect(proposal.getByTestId("deal").filter({ hasText: `Big deal ${tag}` })).toHaveCount(1);
  await expect(qualification.getByTestId("deal").filter({ hasText: `Big deal ${tag}` })).toHaveCount(0);

  // A drag moves it on to Negotiation.
  await big.dragTo(negotiation);
  await expect(negotiation.getByTestId("deal").filter({ hasText: `Big deal ${tag}` })).toHaveCount(1);
  await synced(page);
  await page.reload();
  await open(page, "/pipeline");
  await expect(
    page.getByTestId("stage-negotiation").getByTestId("deal").filter({ hasText: `Big deal ${tag}` }),
  ).toHaveCount(1);

  // The opportunity's page shows its figures.
  await page.getByRole("link", { name: `Big deal ${tag}` }).click();
  await expect(page.getByTestId("opportunity-stage")).toHaveText("Negotiation");
  await expect(page.getByTestId("opportunity-page")).toContainText("EUR 1,250.50");
  await expect(page.getByTestId("opportunity-page")).toContainText("40 %");
});

test("journey 4: activities make the timeline, newest first, and open tasks fill My tasks", async ({ page }) => {
  const tag = uid();
  await open(page);
  await addCustomer(page, { name: `Timeline ${tag}` });
  await addContact(page, "Tim", "Line");
  await logActivity(page, "note", `First note ${tag}`);
  await logActivity(page, "email", `Then an email ${tag}`);
  await logActivity(page, "task", `Overdue task ${tag}`, hoursFromNow(-2));
  await logActivity(page, "task", `Future task ${tag}`, hoursFromNow(48));

  const subjects = page.getByTestId("timeline").getByTestId("activity-subject");
  await expect(subjects).toHaveText([
    `Future task ${tag}`,
    `Then an email ${tag}`,
    `First note ${tag}`,
    `Overdue task ${tag}`,
  ]);
  await expect(page.getByTestId("activity").filter({ hasText: `Overdue task ${tag}` })).toContainText("Overdue");

  await page.getByRole("link", { name: "Tasks" }).click();
  const tasks = page.getByTestId("task").filter({ hasText: tag });
  await expect(tasks).toHaveCount(2);
  await expect(tasks.first()).toContainText(`Overdue task ${tag}`);
  await expect(tasks.first()).toHaveAttribute("data-overdue", "true");
  await expect(tasks.nth(1)).toHaveAttribute("data-overdue", "false");
  await tasks.first().getByRole("button", { name: "Mark done" }).click();
  await expect(tasks).toHaveCount(1);
  await synced(page);

  // Back on the customer, the done task says so.
  await tasks.first().getByRole("link", { name: `Timeline ${tag}` }).click();
  await expect(page.getByTestId("activity").filter({ hasText: `Overdue task ${tag}` })).toContainText("Done");
});

test("journey 5: leads, opportunities and activities made offline sync when the network returns", async ({
  twoDevices,
}) => {
  const tag = uid();
  const [{ context, page }, { page: other }] = twoDevices;
  await open(page);
  await synced(page);
  await context.setOffline(true);
  await addLead(page, { person: `Offline ${tag}`, company: `Nonet ${tag}` });
  await addOpportunity(page, `Offline deal ${tag}`, "10");
  await logActivity(page, "meeting", `Offline meeting ${tag}`);
  await page.reload();
  await expect(page.getByTestId("lead-name")).toHaveText(`Offline ${tag} (Nonet ${tag})`);
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-pending", "3");
  await context.setOffline(false);
  await synced(page);

  await open(other, new URL(page.url()).pathname);
  await expect(other.getByTestId("lead-name")).toHaveText(`Offline ${tag} (Nonet ${tag})`);
  await expect(other.getByTestId("opportunity")).toContainText(`Offline deal ${tag}`);
  await expect(other.getByTestId("activity-subject")).toHaveText(`Offline meeting ${tag}`);
});

test.describe("the home page", () => {
  // A team of its own: the page sums everything the member owns.
  test.use({ team: "own" });

  test("signing in opens a home page of my due tasks, open deals by stage, uncontacted leads, the team's changes and two charts, offline too", async ({
    page,
  }) => {
    const tag = uid();
    await open(page);
    await addCustomer(page, { name: `Homely ${tag}` });
    await logActivity(page, "task", `Late call ${tag}`, hoursFromNow(-2));
    await logActivity(page, "task", `Next week ${tag}`, hoursFromNow(24 * 7));
    await addOpportunity(page, `Home deal ${tag}`, "5000");
    await addLead(page, { person: `Waiting ${tag}`, status: "New" });
    await addLead(page, { person: `Called ${tag}`, status: "New" });
    await logActivity(page, "call", `Said hello ${tag}`);
    await synced(page);

    await page.context().setOffline(true);
    await page.getByRole("navigation").getByRole("link", { name: "Home" }).click();
    await expect(page.getByTestId("home-task")).toHaveCount(1);
    await expect(page.getByTestId("home-task")).toContainText(`Late call ${tag}`);
    await expect(page.getByTestId("home-task")).toContainText("Overdue");
    const qualifying = page.getByTestId("home-stage").filter({ hasText: "Qualification" });
    await expect(qualifying).toContainText("1");
    await expect(qualifying).toContainText("EUR 5,000.00");
    await expect(page.getByTestId("home-lead")).toHaveText([`Waiting ${tag}`]);
    await expect(page.getByTestId("home-change").first()).toContainText("You changed");
    await expect(page.getByTestId("home-changes")).toContainText(`Said hello ${tag}`);

    // Each chart says its figures in a table too.
    const pipeline = page.getByTestId("pipeline-chart");
    await expect(pipeline.locator("svg rect")).toHaveCount(3);
    await expect(pipeline.getByRole("row", { name: /Qualification/ })).toContainText("5000");
    const wonLost = page.getByTestId("won-lost-chart");
    await expect(wonLost.getByRole("row")).toHaveCount(13);
    await page.getByRole("button", { name: "Team", exact: true }).click();
    await expect(pipeline.getByRole("row", { name: /Qualification/ })).toContainText("5000");
    await page.context().setOffline(false);
  });
});

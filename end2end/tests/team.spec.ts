import { type Page } from "@playwright/test";
import {
  addCustomer,
  colleague,
  logActivity,
  customerUpsert,
  expect,
  localRecordCount,
  open,
  search,
  synced,
  test,
  uid,
  type Device,
} from "./helpers";
import { E2E_PASSWORD, openCustomerList } from "./accounts";

// Each test's `page` is the admin of a team of its own: roles and removals
// must not touch the team other specs share.
test.use({ team: "own" });

/** Makes an invitation link granting `role` on the admin's account page. */
async function invite(admin: Page, role: "member" | "viewer" | "admin"): Promise<string> {
  await open(admin, "/account");
  await admin.getByLabel("Role", { exact: true }).selectOption(role);
  await admin.getByRole("button", { name: /^Create (invitation|another) link$/ }).click();
  const link = admin.getByTestId("invite-link");
  await expect(link).not.toHaveValue("");
  return link.inputValue();
}

/** Joins through an invitation link; ends on the customer list, synced. */
async function join(visitor: Device, link: string, email: string): Promise<void> {
  const { page } = visitor;
  await page.goto(link);
  const form = page.getByTestId("join-form");
  await form.getByLabel("Your email").fill(email);
  await form.getByLabel("Choose a password").fill(E2E_PASSWORD);
  await form.getByRole("button", { name: "Join the workspace" }).click();
  await expect(page.getByTestId("account-link")).toHaveText(email);
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-loaded", "true");
  await openCustomerList(page);
  await synced(page);
}

test("an admin invites a viewer, who sees every record and no edit control, and whose forged push changes nothing", async ({
  page,
  newVisitor,
}) => {
  const tag = uid();
  await open(page);
  await addCustomer(page, { name: `Seen ${tag}` });
  await synced(page);
  const link = await invite(page, "viewer");

  const viewer = await newVisitor();
  await join(viewer, link, `viewer-${tag}@example.test`);
  const list = viewer.page;
  await search(list).fill(tag);
  await expect(list.getByRole("link", { name: `Seen ${tag}` })).toBeVisible();
  await expect(list.getByRole("link", { name: "New customer" })).toHaveCount(0);

  await list.getByRole("link", { name: `Seen ${tag}` }).click();
  await expect(list.getByTestId("customer-page")).toBeVisible();
  for (const control of ["Edit", "Delete", "Add contact", "Log activity"]) {
    await expect(list.getByRole("button", { name: control, exact: true })).toHaveCount(0);
  }
  // Offline too: the role is kept with the account on the device.
  await viewer.context.setOffline(true);
  await list.reload();
  await expect(list.getByTestId("customer-page")).toBeVisible();
  await expect(list.getByRole("button", { name: "Edit", exact: true })).toHaveCount(0);
  await viewer.context.setOffline(false);

  // A push made by hand with the viewer's session is refused, mutation by mutation.
  const forged = await colleague(list.request).push([customerUpsert({ name: `Forged ${tag}` })]);
  expect(forged.status()).toBe(200);
  const answer = await forged.json();
  expect(answer.results.map((result: { status: string }) => result.status)).toEqual(["rejected"]);
  expect(answer.results[0].error.message).toContain("viewers cannot change records");

  await open(page);
  await search(page).fill(tag);
  await expect(page.getByRole("link", { name: `Seen ${tag}` })).toBeVisible();
  await expect(page.getByRole("link", { name: `Forged ${tag}` })).toHaveCount(0);
  // The admin sees the viewer in the team with their role.
  await open(page, "/account");
  const row = page.getByTestId("member").filter({ hasText: `viewer-${tag}@example.test` });
  await expect(row.getByTestId("member-role-select")).toHaveValue("viewer");
});

test("an admin removes a member whose offline browser erases its copy and drops its queued edits at its next contact", async ({
  page,
  newVisitor,
}) => {
  const tag = uid();
  const link = await invite(page, "member");
  const member = await newVisitor();
  const email = `member-${tag}@example.test`;
  await join(member, link, email);
  await addCustomer(member.page, { name: `Kept ${tag}` });
  await synced(member.page);

  await member.context.setOffline(true);
  await member.page.getByRole("link", { name: "Customers" }).first().click();
  await addCustomer(member.page, { name: `Queued ${tag}` });
  await expect(member.page.getByTestId("sync-status")).toHaveAttribute("data-pending", "1");
  expect(await localRecordCount(member.page)).toBeGreaterThan(0);

  await open(page, "/account");
  const row = page.getByTestId("member").filter({ hasText: email });
  await row.getByRole("button", { name: "Remove", exact: true }).click();
  await row.getByRole("button", { name: "Yes, remove" }).click();
  await expect(page.getByTestId("member").filter({ hasText: email })).toHaveCount(0);

  await member.context.setOffline(false);
  await expect(member.page).toHaveURL(/\/login$/, { timeout: 30_000 });
  await expect(member.page.getByTestId("removed-notice")).toContainText("You were removed from this workspace");
  expect(await localRecordCount(member.page)).toBe(0);

  await open(page);
  await search(page).fill(tag);
  await expect(page.getByRole("link", { name: `Kept ${tag}` })).toBeVisible();
  await expect(page.getByRole("link", { name: `Queued ${tag}` })).toHaveCount(0);

  // The removed member keeps their records until an admin hands them on, all at once.
  await page.getByRole("link", { name: `Kept ${tag}` }).click();
  await expect(page.getByTestId("customer-page")).toContainText(`${email} (former member)`);
  await open(page, "/account");
  const former = page.getByTestId("former-member").filter({ hasText: email });
  await former.getByRole("button", { name: "Reassign their records" }).click();
  await expect(former.getByRole("status")).toHaveText("1 records reassigned.");
  await synced(page);
  await open(page);
  await search(page).fill(tag);
  await page.getByRole("link", { name: `Kept ${tag}` }).click();
  await expect(page.getByTestId("customer-page")).not.toContainText("(former member)");
});

test("a task assigned offline appears in the assignee's My tasks after sync, and the owner filter keeps each member's own", async ({
  page,
  newVisitor,
}) => {
  const tag = uid();
  const link = await invite(page, "member");
  const member = await newVisitor();
  const email = `assignee-${tag}@example.test`;
  await join(member, link, email);
  await addCustomer(member.page, { name: `Hers ${tag}` });
  await synced(member.page);

  // The admin, offline, gives the member a task on a customer of the admin's.
  await open(page, "/account");
  await expect(page.getByTestId("member").filter({ hasText: email })).toHaveCount(1);
  await open(page);
  await addCustomer(page, { name: `Mine ${tag}` });
  await page.context().setOffline(true);
  await logActivity(page, "task", `Call back ${tag}`, "", email);
  await expect(page.getByTestId("activity-assignee")).toHaveText(`Assigned to ${email}`);
  await open(page, "/tasks");
  await expect(page.getByTestId("task-subject").filter({ hasText: tag })).toHaveCount(0);
  await page.getByTestId("tasks-of").selectOption({ label: email });
  await expect(page.getByTestId("task-subject")).toHaveText([`Call back ${tag}`]);
  await page.context().setOffline(false);
  await synced(page);

  await synced(member.page);
  await open(member.page, "/tasks");
  await expect(member.page.getByTestId("task-subject").filter({ hasText: tag })).toHaveText([`Call back ${tag}`]);
  await expect(member.page.getByTestId("tasks-of")).toHaveCount(0);

  // "Mine" shows each member their own customers, and is remembered.
  await open(member.page);
  await search(member.page).fill(tag);
  await expect(member.page.getByTestId("customer-row")).toHaveCount(2);
  await member.page.getByTestId("owner-filter").selectOption("mine");
  await expect(member.page.getByTestId("customer-row")).toHaveCount(1);
  await expect(member.page.getByTestId("customer-row")).toContainText(`Hers ${tag}`);
  await member.page.reload();
  await expect(member.page.getByTestId("owner-filter")).toHaveValue("mine");
  await search(member.page).fill(tag);
  await expect(member.page.getByTestId("customer-row")).toHaveCount(1);
});

import { readFile } from "node:fs/promises";
import { signUp } from "./accounts";
import {
  colleague,
  customerUpsert,
  expect,
  importCounts,
  importFile,
  open,
  parseCsv,
  search,
  synced,
  test,
  uid,
} from "./helpers";

// Each test counts what its whole team holds.
test.use({ team: "own" });

const STATUSES = ["Prospect", "Suspect", "Customer", "Inactive"];

/** A customer file of `rows` rows with known duplicates: two rows carry
 * the e-mail of a customer already there, five repeat an earlier row's
 * e-mail and seven have an invalid e-mail. */
function customerFile(tag: string, rows: number, held: string[]): { csv: string; fresh: number } {
  const lines = ["Company;First name;Last name;E-mail;Status"];
  const special = 2 + 5 + 7;
  for (let at = 0; at < rows - special; at++) {
    lines.push(`Import ${tag} ${at};Jo;Row${at};r${at}.${tag}@import.test;${STATUSES[at % 4].toLowerCase()}`);
  }
  held.forEach((email, at) => lines.push(`Known ${tag} ${at};Al;Dup;${email.toUpperCase()};Customer`));
  for (let at = 0; at < 5; at++) lines.push(`Again ${tag} ${at};Bo;Rep;r${at * 7}.${tag}@import.test;`);
  for (let at = 0; at < 7; at++) lines.push(`Bad ${tag} ${at};Cy;Mail;not an email ${at};`);
  return { csv: lines.join("\r\n") + "\r\n", fresh: rows - special };
}

/** How many rows the customer list shows for the current search. */
async function listed(page: import("@playwright/test").Page): Promise<number> {
  const rowCount = await page.locator("table.customer-table").getAttribute("aria-rowcount");
  return Number(rowCount) - 1;
}

test("a 5,000-row file imported offline shows at once, survives a reload, reaches a second browser and imports again as nothing", async ({
  twoDevices,
  request,
}) => {
  test.setTimeout(240_000);
  const tag = uid();
  const [{ context: alice, page }, { page: other }] = twoDevices;
  const held = [`held1.${tag}@import.test`, `held2.${tag}@import.test`];
  const pushed = await colleague(request).push(held.map((email, at) => customerUpsert({ name: `Held ${tag} ${at}`, email })));
  expect(pushed.ok()).toBe(true);
  await open(page);
  await synced(page);
  const { csv, fresh } = customerFile(tag, 5_000, held);

  await alice.setOffline(true);
  await page.getByTestId("import").click();
  await expect(page.getByRole("heading", { name: "Import customers" })).toBeVisible();
  await importFile(page, "customers.csv", csv);
  expect(await importCounts(page)).toEqual([fresh, 2, 5, 7]);
  await expect(page.getByTestId("import-preview-row").first()).toContainText("Name: Import");
  await page.getByTestId("import-confirm").click();
  await expect(page.getByTestId("import-done")).toContainText(`Imported ${fresh} new customers`, { timeout: 60_000 });
  await page.getByRole("link", { name: "Open customers" }).click();
  await search(page).fill(`Import ${tag}`);
  await expect.poll(() => listed(page)).toBe(fresh);
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-pending", String(fresh * 2));

  await page.reload();
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-loaded", "true");
  await search(page).fill(`Import ${tag}`);
  await expect.poll(() => listed(page)).toBe(fresh);
  await expect(page.getByTestId("customer-row").first()).toContainText("Jo Row");

  await alice.setOffline(false);
  await synced(page, 120_000);
  await open(other);
  await search(other).fill(`Import ${tag}`);
  await expect.poll(() => listed(other), { timeout: 60_000 }).toBe(fresh);

  await other.getByTestId("import").click();
  await importFile(other, "customers.csv", csv);
  expect(await importCounts(other)).toEqual([0, fresh + 2 + 5, 0, 7]);
  await other.getByTestId("import-confirm").click();
  await expect(other.getByTestId("import-done")).toContainText("Imported 0 new customers and filled in 0");

  // The first browser takes its import back: every customer it created goes.
  await page.getByTestId("import").click();
  await expect(page.getByTestId("last-import")).toContainText(`customers.csv, ${fresh} new`);
  await page.getByTestId("import-undo").click();
  await expect(page.getByTestId("import-undone")).toContainText(`removed ${fresh} customers`, { timeout: 60_000 });
  await synced(page, 120_000);
  await open(other);
  await search(other).fill(`Import ${tag}`);
  await expect(other.getByTestId("empty-list")).toBeVisible({ timeout: 30_000 });
});

test("rows with problems are named by column and downloaded; a broken file saves nothing", async ({ page }) => {
  await open(page, "/customers/import");
  await page.getByTestId("import-file").setInputFiles({
    name: "binary.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("Name\nAc\u0000me\n", "utf-8"),
  });
  await expect(page.getByTestId("import-problem")).toContainText("Line 2 contains a NUL byte");
  // Excel's "CSV" on Windows: Windows-1252, semicolons.
  await importFile(page, "excel.csv", Buffer.from("Company;City\nCaf\xe9 M\xfcller;K\xf6ln\n", "latin1"));
  await expect(page.getByTestId("import-preview-row").first()).toContainText("Name: Café Müller");
  await expect(page.getByTestId("import-preview-row").first()).toContainText("City: Köln");
  await page.getByRole("button", { name: "Back to the columns" }).click();
  await page.getByRole("button", { name: "Choose another file" }).click();
  await importFile(page, "mixed.csv", "Company,Status,Email\nGood Co,Prospect,good@x.test\n,Hot,nope\n");
  expect(await importCounts(page)).toEqual([1, 0, 0, 1]);
  await expect(page.getByTestId("import-preview-row").nth(1)).toContainText("Status: “Hot” is not a status");
  await expect(page.getByTestId("import-preview-row").nth(1)).toContainText("Company: Name is required");
  const downloading = page.waitForEvent("download");
  await page.getByTestId("import-download-problems").click();
  const problems = parseCsv(await readFile(await (await downloading).path(), "utf-8"));
  expect(problems[0]).toEqual(["Company", "Status", "Email", "Line", "Problems"]);
  expect(problems[1].slice(0, 4)).toEqual(["", "Hot", "nope", "3"]);
});

test("a filtered list exports what it shows, and the file imports into an empty workspace as the same customers", async ({
  page,
  request,
  newVisitor,
}) => {
  const tag = uid();
  const names = [`Zoë, ${tag}`, `=SUM(1) ${tag}`, `Plain ${tag}`, `Other ${tag}`];
  const changes = names.map((name, at) => customerUpsert({ name, status: at < 3 ? "Customer" : "Prospect", email: `e${at}.${tag}@x.test` }));
  expect((await colleague(request).push(changes)).ok()).toBe(true);
  await open(page);
  await page.getByTestId("status-customer").click();
  await search(page).fill(tag);
  await expect(page.getByTestId("customer-row")).toHaveCount(3);
  const shown = (await page.getByTestId("customer-row").locator("td a").allTextContents()).sort();

  const downloading = page.waitForEvent("download");
  await page.getByTestId("export").click();
  const file = await readFile(await (await downloading).path());
  expect(file.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  const [headers, ...rows] = parseCsv(file.toString("utf-8"));
  expect(headers.slice(0, 3)).toEqual(["Name", "Kind", "Status"]);
  expect(rows.map((row) => row[0].replace(/^'(?=[=+\-@])/, "")).sort()).toEqual(shown);
  expect(rows.map((row) => row[0])).toContain(`'=SUM(1) ${tag}`);
  expect(rows.every((row) => row[2] === "Customer")).toBe(true);

  const { page: fresh } = await newVisitor();
  await signUp(fresh, `export-${tag}@example.test`, `Empty ${tag}`);
  await fresh.getByTestId("import").click();
  await importFile(fresh, "export.csv", file);
  expect(await importCounts(fresh)).toEqual([3, 0, 0, 0]);
  await fresh.getByTestId("import-confirm").click();
  await fresh.getByRole("link", { name: "Open customers" }).click();
  await expect(fresh.getByTestId("customer-row")).toHaveCount(3);
  const imported = (await fresh.getByTestId("customer-row").locator("td a").allTextContents()).sort();
  expect(imported).toEqual(shown);
  await expect(fresh.getByTestId("customer-row").first()).toContainText("Customer");
});

test("contacts import onto the customers their rows name, by name or email", async ({ page, request }) => {
  const tag = uid();
  const pushed = await colleague(request).push([
    customerUpsert({ name: `Anvil ${tag} Ltd`, email: `office.${tag}@anvil.test` }),
    customerUpsert({ name: `Bellows ${tag}` }),
  ]);
  expect(pushed.ok()).toBe(true);
  await open(page);
  await page.getByTestId("import").click();
  await page.getByRole("link", { name: "Import contacts instead" }).click();
  await expect(page.getByRole("heading", { name: "Import contacts" })).toBeVisible();
  await importFile(
    page,
    "people.csv",
    `Full name,Company,Email\nRay Smith,anvil ${tag},ray.${tag}@anvil.test\nSue Park,OFFICE.${tag}@anvil.test,\nTim Doe,Bellows ${tag},\nNo Body,Nowhere ${tag},\n`,
  );
  expect(await importCounts(page)).toEqual([3, 0, 0, 1]);
  await expect(page.getByTestId("import-preview-row").nth(3)).toContainText(`No customer here is called “Nowhere ${tag}”`);
  await page.getByTestId("import-confirm").click();
  await expect(page.getByTestId("import-done")).toContainText("Imported 3 new contacts");
  await page.getByRole("link", { name: "Open customers" }).click();
  await search(page).fill(tag);
  await expect(page.getByTestId("customer-row").filter({ hasText: `Anvil ${tag}` })).toContainText("Ray Smith");
  await expect(page.getByTestId("customer-row").filter({ hasText: `Bellows ${tag}` })).toContainText("Tim Doe");
  await page.getByRole("link", { name: `Anvil ${tag} Ltd` }).click();
  await expect(page.getByTestId("contact")).toHaveCount(2);
});

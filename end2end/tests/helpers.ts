import { randomUUID } from "node:crypto";
import {
  test as base,
  expect,
  type APIRequestContext,
  type APIResponse,
  type BrowserContext,
  type ConsoleMessage,
  type Page,
  type Request,
} from "@playwright/test";
import { signedOutContext, signUpTeam } from "./accounts";

/** One browser of a team member: its own profile, so its own local store,
 * service worker and network switch (`context.setOffline`). */
export interface Device {
  context: BrowserContext;
  page: Page;
}

/**
 * The specs' `test`, with what sync journeys need on top of Playwright's
 * fixtures:
 *
 * - `twoDevices`: two browsers signed in to the test's team, each with one
 *   open (blank) page, closed when the test ends, also when it fails. Every
 *   journey about what one device sees of another's work starts from these,
 *   instead of making and closing contexts by hand.
 * - `newVisitor()`: opens a browser with no session and no local data, for
 *   journeys that sign up or sign in through the forms; closed when the test
 *   ends too. (A browser left open keeps its app syncing in the background,
 *   slowing every later test of the worker.)
 * - `team`: which team the test's browsers (`page`, `twoDevices`,
 *   `browser.newContext()`) and `request` are signed in as. "shared", the
 *   default, is the team the global setup made. `test.use({ team: "own" })`
 *   signs up a new team for each test of the file: for tests that count what
 *   the whole team has, or fill it with bulk data, while other tests run at
 *   the same time in another worker.
 */
export const test = base.extend<{
  team: "shared" | "own";
  twoDevices: [Device, Device];
  newVisitor: () => Promise<Device>;
}>({
  team: ["shared", { option: true }],
  storageState: async ({ team, storageState, baseURL }, use) => {
    await use(team === "own" ? await signUpTeam(baseURL, `Own team ${uid()}`) : storageState);
  },
  twoDevices: async ({ browser }, use) => {
    const devices: Device[] = [];
    for (let n = 0; n < 2; n++) {
      const context = await browser.newContext();
      devices.push({ context, page: await context.newPage() });
    }
    await use(devices as [Device, Device]);
    for (const { context } of devices) await context.close();
  },
  newVisitor: async ({ browser }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async () => {
      const context = await signedOutContext(browser);
      contexts.push(context);
      return { context, page: await context.newPage() };
    });
    for (const context of contexts) await context.close();
  },
});

export { expect };

/** One change as the sync API takes it, before a client numbers it. */
export interface Change {
  entity: string;
  op: "upsert" | "delete";
  record_id: string;
  base_version: number;
  fields?: Record<string, unknown>;
}

/** A new customer as another device would send it (a company prospect unless said otherwise). */
export function customerUpsert(
  fields: { name: string; kind?: "company" | "person"; status?: string; email?: string },
  recordId: string = randomUUID(),
): Change {
  return {
    entity: "customer",
    op: "upsert",
    record_id: recordId,
    base_version: 0,
    fields: { kind: "company", status: "Prospect", ...fields },
  };
}

/** A customer deleted by another device. */
export function customerDelete(recordId: string): Change {
  return { entity: "customer", op: "delete", record_id: recordId, base_version: 0 };
}

/**
 * A colleague's device that is not a browser: it pushes changes straight to
 * the sync API, under its own client id, so the browser under test gets them
 * the way it gets anybody else's work, from a pull. `request` decides whose
 * team it pushes to: the test's `request` (the test's team) or `page.request`
 * (whoever that page signed in as). Each push is numbered after the last;
 * the server's reply is returned for the test to check.
 */
export function colleague(request: APIRequestContext): { push(changes: Change[]): Promise<APIResponse> } {
  const clientId = randomUUID();
  let nextId = 1;
  return {
    push(changes) {
      const mutations = changes.map((change) => ({ id: nextId++, ...change }));
      return request.post("/api/sync/push", { data: { client_id: clientId, mutations } });
    },
  };
}

/** A short unique tag so tests sharing one database never see each other's rows. */
export function uid(): string {
  return Math.random().toString(36).slice(2, 8);
}

/** Opens a page of the app and waits until the local store is loaded.
 * When it never loads, the failure carries what the page said on its way
 * (console errors, uncaught exceptions, failed requests): on a CI machine
 * that is all there is to go on. */
export async function open(page: Page, path = "/"): Promise<void> {
  const said: string[] = [];
  const onConsole = (message: ConsoleMessage) => {
    if (message.type() === "error" || message.type() === "warning") said.push(`${message.type()}: ${message.text()}`);
  };
  const onError = (error: Error) => said.push(`uncaught: ${error.message}`);
  const onFailed = (request: Request) =>
    said.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? "?"})`);
  page.on("console", onConsole);
  page.on("pageerror", onError);
  page.on("requestfailed", onFailed);
  try {
    await page.goto(path);
    await expect(page.getByTestId("sync-status")).toHaveAttribute("data-loaded", "true");
  } catch (error) {
    if (error instanceof Error) error.message += `\nThe page said:\n${said.join("\n") || "(nothing)"}`;
    throw error;
  } finally {
    page.off("console", onConsole);
    page.off("pageerror", onError);
    page.off("requestfailed", onFailed);
  }
}

/** Waits until every local change has reached the server. */
export async function synced(page: Page, timeout?: number): Promise<void> {
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-pending", "0", { timeout });
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-state", "synced", { timeout });
}

export interface NewCustomer {
  name: string;
  kind?: "Company" | "Person";
  status?: "Prospect" | "Suspect" | "Customer" | "Inactive";
  email?: string;
  phone?: string;
  website?: string;
  street?: string;
  postcode?: string;
  city?: string;
  country?: string;
  notes?: string;
}

/** Fills the new-customer form and saves; ends on the customer's page. */
export async function addCustomer(page: Page, customer: NewCustomer): Promise<void> {
  await page.getByRole("link", { name: "New customer" }).click();
  await expect(page.getByRole("heading", { name: "New customer" })).toBeVisible();
  await fillCustomerForm(page, customer);
  await page.getByRole("button", { name: "Save customer" }).click();
  await expect(page.getByTestId("customer-name")).toHaveText(customer.name);
}

export async function fillCustomerForm(page: Page, customer: Partial<NewCustomer>): Promise<void> {
  const form = page.getByTestId("customer-form");
  if (customer.name !== undefined) await form.getByLabel("Name").fill(customer.name);
  if (customer.kind) await form.getByLabel("Kind").selectOption({ label: customer.kind });
  if (customer.status) await form.getByLabel("Status").selectOption({ label: customer.status });
  const text: [keyof NewCustomer, string][] = [
    ["email", "Email"],
    ["phone", "Phone"],
    ["website", "Website"],
    ["street", "Street"],
    ["postcode", "Postcode"],
    ["city", "City"],
    ["country", "Country"],
    ["notes", "Notes"],
  ];
  for (const [key, label] of text) {
    const value = customer[key];
    if (value !== undefined) await form.getByLabel(label, { exact: true }).fill(value);
  }
}

/** Adds a contact on the customer page that is open. */
export async function addContact(page: Page, firstName: string, lastName = "", email = ""): Promise<void> {
  await page.getByRole("button", { name: "Add contact" }).click();
  const form = page.getByTestId("contact-form");
  await form.getByLabel("First name").fill(firstName);
  if (lastName) await form.getByLabel("Last name").fill(lastName);
  if (email) await form.getByLabel("Email").fill(email);
  await form.getByRole("button", { name: "Add contact" }).click();
  await expect(form).toHaveCount(0);
}

/** The list's search box. */
/** Logs an activity on the record page that is open, optionally due at
 * `due` (a datetime-local value) and assigned to the member named `assignee`. */
export async function logActivity(page: Page, kind: string, subject: string, due = "", assignee = ""): Promise<void> {
  await page.getByRole("button", { name: "Log activity" }).click();
  const form = page.getByTestId("activity-form");
  await form.getByLabel("Kind").selectOption(kind);
  await form.getByLabel("Subject").fill(subject);
  if (due) await form.getByLabel("Due").fill(due);
  if (assignee) await form.getByLabel("Assigned to").selectOption({ label: assignee });
  await form.getByRole("button", { name: "Save activity" }).click();
  await expect(form).toHaveCount(0);
}

export function search(page: Page) {
  return page.getByRole("searchbox", { name: "Search customers" });
}

/** Waits until the service worker controls the page (after the first online visit). */
export async function controlledByServiceWorker(page: Page): Promise<void> {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
}

/** Everything the origin keeps in the browser, as text: every IndexedDB
 * database's every object store (its values), every localStorage key and
 * value, and every Cache Storage entry (its URL, and its body when text). */
export interface BrowserStorage {
  indexedDb: { database: string; store: string; values: string[] }[];
  localStorage: Record<string, string>;
  caches: { cache: string; url: string; body: string }[];
}

/** Reads [`BrowserStorage`] from the page. */
export async function browserStorage(page: Page): Promise<BrowserStorage> {
  return page.evaluate(async () => {
    const request = <T>(req: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    const indexedDb: { database: string; store: string; values: string[] }[] = [];
    for (const { name } of await indexedDB.databases()) {
      if (!name) continue;
      const db = await request(indexedDB.open(name));
      for (const store of Array.from(db.objectStoreNames)) {
        const values = await request(db.transaction(store).objectStore(store).getAll());
        indexedDb.push({ database: name, store, values: values.map((value) => JSON.stringify(value)) });
      }
      db.close();
    }
    const local: Record<string, string> = {};
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i)!;
      local[key] = localStorage.getItem(key) ?? "";
    }
    const cached: { cache: string; url: string; body: string }[] = [];
    for (const cacheName of await caches.keys()) {
      const cache = await caches.open(cacheName);
      for (const entry of await cache.keys()) {
        const response = await cache.match(entry);
        const type = response?.headers.get("content-type") ?? "";
        const body = response && /text|json|javascript/.test(type) ? await response.text() : "";
        cached.push({ cache: cacheName, url: entry.url, body });
      }
    }
    return { indexedDb, localStorage: local, caches: cached };
  });
}

/** A promise with its resolve function, for holding a route until the test lets it go. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Values in the local store's records (chunks of records), read straight from IndexedDB. */
export async function localRecordCount(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const opening = indexedDB.open("clientele");
        opening.onerror = () => reject(opening.error);
        opening.onsuccess = () => {
          const db = opening.result;
          if (!db.objectStoreNames.contains("records")) {
            db.close();
            resolve(0);
            return;
          }
          const counting = db.transaction("records").objectStore("records").count();
          counting.onsuccess = () => {
            db.close();
            resolve(counting.result);
          };
          counting.onerror = () => reject(counting.error);
        };
      }),
  );
}

/** The cells of a CSV file as RFC 4180 reads them (quotes, doubled quotes,
 * line breaks in quotes), after the byte-order mark. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  const body = text.replace(/^\uFEFF/, "");
  for (let at = 0; at < body.length; at++) {
    const char = body[at];
    if (quoted) {
      if (char === '"' && body[at + 1] === '"') {
        cell += '"';
        at++;
      } else if (char === '"') {
        quoted = false;
      } else {
        cell += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ",") {
      row.push(cell);
      cell = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && body[at + 1] === "\n") at++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else {
      cell += char;
    }
  }
  if (cell !== "" || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** Chooses a CSV file on the import page and checks its rows; ends on the preview. */
export async function importFile(page: Page, name: string, contents: string | Buffer): Promise<void> {
  await page.getByTestId("import-file").setInputFiles({
    name,
    mimeType: "text/csv",
    buffer: typeof contents === "string" ? Buffer.from(contents, "utf-8") : contents,
  });
  await page.getByTestId("import-check").click();
  await expect(page.getByTestId("import-new")).toBeVisible({ timeout: 60_000 });
}

/** The preview's counts: new, already here, repeated in the file, with problems. */
export async function importCounts(page: Page): Promise<[number, number, number, number]> {
  const counts = [];
  for (const id of ["import-new", "import-duplicates", "import-repeats", "import-invalid"]) {
    counts.push(Number(await page.getByTestId(id).textContent()));
  }
  return counts as [number, number, number, number];
}

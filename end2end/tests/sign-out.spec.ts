import { expect, test } from "@playwright/test";
import {
  addCustomer,
  browserStorage,
  colleague,
  controlledByServiceWorker,
  customerUpsert,
  gate,
  synced,
  uid,
} from "./helpers";
import { signUp, signedOutContext } from "./accounts";

test("signing out during a slow sync leaves nothing of the user in IndexedDB, localStorage or Cache Storage", async ({
  browser,
}) => {
  const tag = uid();
  const email = `sasha-${tag}@example.test`;
  const context = await signedOutContext(browser);
  const page = await context.newPage();
  await signUp(page, email, `Leaving ${tag}`);
  await addCustomer(page, { name: `Secret ${tag}` });
  await synced(page);
  await controlledByServiceWorker(page);
  await page.getByTestId("account-link").click();
  await expect(page.getByTestId("account-email")).toHaveText(email);

  // A colleague's change, for the next pull to bring.
  const reply = await colleague(page.request).push([customerUpsert({ name: `Late ${tag}` })]);
  expect(reply.ok()).toBe(true);

  // The next pull is answered while signed in, but its answer arrives late.
  const pull = gate();
  const pullStarted = gate();
  await context.route("**/api/sync/pull", async (route) => {
    const response = await route.fetch();
    pullStarted.open();
    await pull.opened;
    await route.fulfill({ response }).catch(() => {});
  });
  // Not every browser honours Clear-Site-Data (Safari does not): the
  // page's own erase must leave nothing without it.
  await context.route("**/api/auth/logout", async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers["clear-site-data"];
    await route.fulfill({ response, headers });
  });
  // The sign-in page is held too, so the signed-out page lives on while the
  // late answer lands.
  const signInPage = gate();
  const leaving = gate();
  // (Fetched by the service worker, it is not marked as a navigation.)
  await context.route("**/login", async (route) => {
    if (route.request().method() === "GET") {
      leaving.open();
      await signInPage.opened;
    }
    await route.continue();
  });

  await pullStarted.opened;
  await page.getByTestId("sign-out").click();
  await leaving.opened;
  pull.open();
  await page.waitForTimeout(1_500);
  signInPage.open();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByTestId("login-form")).toBeVisible();
  await page.waitForTimeout(500);

  const stored = await browserStorage(page);
  for (const { database, store, values } of stored.indexedDb) {
    expect(values, `${database}/${store}`).toEqual([]);
  }
  expect(stored.localStorage).toEqual({});
  // The service worker may keep the public shell and bundle: nothing in
  // them is this user's, and no page rendered for the user is cached.
  for (const { url, body } of stored.caches) {
    expect(new URL(url).pathname, url).toMatch(/^\/(shell|pkg\/.*|favicon\.svg|manifest\.webmanifest)$/);
    expect(body, url).not.toContain(tag);
    expect(body, url).not.toContain(email);
  }
  await context.close();
});

import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { expect, request, type Browser, type BrowserContext, type Page } from "@playwright/test";

/** The password of every account the journeys make. */
export const E2E_PASSWORD = "end to end password";

/** Where the global setup keeps the shared team's session. */
export const TEAM_STATE = path.join(process.env.E2E_RUN_DIR ?? ".", "team-state.json");

/** A signed-in session, as a context's `storageState` takes it. */
export type Session = Awaited<ReturnType<BrowserContext["storageState"]>>;

/**
 * Signs up a new team through the API rather than the form (journeys about
 * the form sign up through it) and returns its session, so browsers and
 * requests can start signed in as it. `file` also saves it there.
 */
export async function signUpTeam(baseURL: string | undefined, workspace: string, file?: string): Promise<Session> {
  // Signed out, whatever session the running test's browsers have.
  const context = await request.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  try {
    const reply = await context.post("/api/auth/signup", {
      data: { email: `team-${randomUUID()}@e2e.test`, password: E2E_PASSWORD, workspace_name: workspace },
    });
    if (!reply.ok()) throw new Error(`signing up ${workspace} failed: ${reply.status()} ${await reply.text()}`);
    return await context.storageState({ path: file });
  } finally {
    await context.dispose();
  }
}

/** A browser with no session and no local data: a new visitor. */
export async function signedOutContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ storageState: { cookies: [], origins: [] } });
}

/** Signs up through the form; ends on the customer list of the new workspace. */
export async function signUp(page: Page, email: string, workspace: string): Promise<void> {
  await page.goto("/signup");
  const form = page.getByTestId("signup-form");
  await form.getByLabel("Team or company name").fill(workspace);
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password").fill(E2E_PASSWORD);
  await form.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/home$/);
  await expect(page.getByTestId("account-link")).toHaveText(email);
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-loaded", "true");
  await openCustomerList(page);
}

/** Signing in lands on the home page; the journeys start from the customer list. */
export async function openCustomerList(page: Page): Promise<void> {
  await expect(page.getByTestId("home-page")).toBeVisible();
  await page.getByRole("navigation").getByRole("link", { name: "Customers" }).click();
  await expect(page).toHaveURL(/\/$/);
}

/** Signs in through the form; ends on the customer list. */
export async function signIn(page: Page, email: string, password = E2E_PASSWORD): Promise<void> {
  await page.goto("/login");
  const form = page.getByTestId("login-form");
  // Filled again if the app took over the page between the two fields
  // and the first was lost (seen once in a full run, never alone); what
  // is typed while the app loads is the subject of its own journey.
  await expect(async () => {
    await form.getByLabel("Email").fill(email);
    await form.getByLabel("Password").fill(password);
    await expect(form.getByLabel("Email")).toHaveValue(email, { timeout: 1_000 });
  }).toPass();
  await form.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("account-link")).toHaveText(email);
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-loaded", "true");
  await openCustomerList(page);
}

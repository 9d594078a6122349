import { expect } from "@playwright/test";
import { addCustomer, localRecordCount, open, search, synced, test, uid } from "./helpers";
import { E2E_PASSWORD, openCustomerList, signIn, signUp, signedOutContext } from "./accounts";

test("sign up, invite a colleague into the same workspace; another workspace sees nothing", async ({ newVisitor }) => {
  const tag = uid();
  const { page: alice } = await newVisitor();
  const policyViolations: string[] = [];
  alice.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) policyViolations.push(message.text());
  });
  alice.on("dialog", (dialog) => {
    throw new Error(`a script ran from user data: ${dialog.message()}`);
  });

  // A visitor is sent to sign in, and from there to create a workspace.
  await alice.goto("/");
  await expect(alice).toHaveURL(/\/login$/);
  await alice.getByRole("link", { name: "Create a workspace for your team" }).click();
  await expect(alice.getByRole("heading", { name: "Create a workspace" })).toBeVisible();

  // Bad input is explained at the field.
  const form = alice.getByTestId("signup-form");
  await form.getByLabel("Team or company name").fill(`Team ${tag}`);
  await form.getByLabel("Email").fill(`alice-${tag}@example.test`);
  await form.getByLabel("Password").fill("short");
  await form.getByRole("button", { name: "Create workspace" }).click();
  await expect(form.locator("#account-password-error")).toHaveText("Password must be at least 10 characters");

  await signUp(alice, `alice-${tag}@example.test`, `Team ${tag}`);
  const hostile = `<img src=x onerror=alert(1)> ${tag}`;
  await addCustomer(alice, { name: `Acme ${tag}` });
  await alice.getByRole("navigation").getByRole("link", { name: "Customers" }).click();
  await addCustomer(alice, { name: hostile });
  await expect(alice.getByTestId("customer-name")).toHaveText(hostile);
  await synced(alice);

  // The invitation link, shown to the inviter.
  await alice.getByTestId("account-link").click();
  await expect(alice.getByTestId("account-workspace")).toHaveText(`Team ${tag}`);
  await alice.getByRole("button", { name: "Create invitation link" }).click();
  const link = await alice.getByTestId("invite-link").inputValue();
  expect(link).toMatch(/\/join\/[A-Za-z0-9_-]{43}$/);

  const { page: bob } = await newVisitor();
  await bob.goto(link);
  await expect(bob.getByTestId("join-heading")).toHaveText(`Join Team ${tag}`);
  const join = bob.getByTestId("join-form");
  await join.getByLabel("Your email").fill(`bob-${tag}@example.test`);
  await join.getByLabel("Choose a password").fill(E2E_PASSWORD);
  await join.getByRole("button", { name: "Join the workspace" }).click();
  await expect(bob.getByTestId("account-link")).toHaveText(`bob-${tag}@example.test`);
  await openCustomerList(bob);
  await synced(bob);
  await search(bob).fill(tag);
  await expect(bob.getByRole("link", { name: `Acme ${tag}` })).toBeVisible();
  await expect(bob.getByRole("link", { name: hostile })).toBeVisible();

  // The link worked once.
  const { page: eve } = await newVisitor();
  await eve.goto(link);
  await expect(eve.getByTestId("join-heading")).toHaveText("This invitation cannot be used");

  // Another team sees none of it, in the app or by asking the server.
  const { page: mallory } = await newVisitor();
  await signUp(mallory, `mallory-${tag}@example.test`, `Rivals ${tag}`);
  await synced(mallory);
  await search(mallory).fill(tag);
  await expect(mallory.getByRole("link", { name: `Acme ${tag}` })).toHaveCount(0);
  const pulled = await mallory.evaluate(async () => {
    const reply = await fetch("/api/sync/pull", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: crypto.randomUUID(), cursor: 0, limit: 5000 }),
    });
    return reply.text();
  });
  expect(pulled).not.toContain(tag);
  expect(policyViolations).toEqual([]);
});

test("a signed-in user works offline across a reload; signing out erases the local copy", async ({ newVisitor }) => {
  const tag = uid();
  const email = `olive-${tag}@example.test`;
  const { context, page } = await newVisitor();
  await signUp(page, email, `Field team ${tag}`);
  await addCustomer(page, { name: `Online ${tag}` });
  await synced(page);

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId("connection")).toHaveText("Offline");
  await page.getByRole("navigation").getByRole("link", { name: "Customers" }).click();
  await addCustomer(page, { name: `Offline ${tag}` });
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-pending", "1");

  // Signing out with a change not yet sent asks first.
  await page.getByTestId("account-link").click();
  await page.getByTestId("sign-out").click();
  await expect(page.getByRole("alertdialog")).toContainText("1 change on this device has not reached the server yet");
  await page.getByRole("button", { name: "Cancel" }).click();

  await context.setOffline(false);
  await synced(page);
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/login$/);
  expect(await localRecordCount(page)).toBe(0);
  expect(await page.evaluate(() => localStorage.getItem("clientele.account"))).toBeNull();
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);

  // Signing back in brings the records back from the server.
  await signIn(page, email);
  await synced(page);
  await search(page).fill(tag);
  await expect(page.getByRole("link", { name: `Online ${tag}` })).toBeVisible();
  await expect(page.getByRole("link", { name: `Offline ${tag}` })).toBeVisible();
});

test("changing the password signs other devices out without losing their changes", async ({ newVisitor }) => {
  const tag = uid();
  const email = `pat-${tag}@example.test`;
  const { page: laptop } = await newVisitor();
  await signUp(laptop, email, `Pat ${tag}`);
  const { page: tablet } = await newVisitor();
  await signIn(tablet, email);

  await laptop.getByTestId("account-link").click();
  const form = laptop.getByTestId("password-form");
  await form.getByLabel("Current password").fill("not my password");
  await form.getByLabel("New password").fill("a brand new passphrase");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.locator("#account-current_password-error")).toHaveText("The current password is wrong");
  await form.getByLabel("Current password").fill(E2E_PASSWORD);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(laptop.getByTestId("password-changed")).toBeVisible();

  // The tablet's next change cannot sync; it is kept and sign-in is offered.
  await addCustomer(tablet, { name: `From the tablet ${tag}` });
  await expect(tablet.getByTestId("sign-in-again")).toBeVisible();
  await expect(tablet.getByTestId("sync-status")).toHaveAttribute("data-pending", "1");
  await tablet.getByTestId("sign-in-again").click();
  const login = tablet.getByTestId("login-form");
  await expect(login.getByLabel("Email")).toHaveValue(email);
  await login.getByLabel("Password").fill(E2E_PASSWORD);
  await login.getByRole("button", { name: "Sign in" }).click();
  await expect(login.getByTestId("form-error")).toHaveText("The email or password is wrong.");
  await login.getByLabel("Password").fill("a brand new passphrase");
  await login.getByRole("button", { name: "Sign in" }).click();
  await expect(login.getByTestId("form-error")).toHaveCount(0);
  await expect(tablet).toHaveURL(/\/home$/);
  await open(tablet);
  await synced(tablet);

  await open(laptop);
  await synced(laptop);
  await search(laptop).fill(tag);
  await expect(laptop.getByRole("link", { name: `From the tablet ${tag}` })).toBeVisible();
});

test("what is typed into sign-in while the app still loads is kept, and cannot be sent early", async ({ browser }) => {
  const tag = uid();
  const email = `quinn-${tag}@example.test`;
  const setup = await signedOutContext(browser);
  await signUp(await setup.newPage(), email, `Slow line ${tag}`);
  await setup.close();

  // A slow connection: the page is there, the app (WASM) not yet.
  const context = await signedOutContext(browser);
  const page = await context.newPage();
  let releaseApp: () => void = () => {};
  const appHeld = new Promise<void>((resolve) => (releaseApp = resolve));
  await page.route("**/*.wasm", async (route) => {
    await appHeld;
    await route.continue();
  });
  await page.goto("/login");
  const form = page.getByTestId("login-form");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password").fill(E2E_PASSWORD);
  await expect(form.getByRole("button", { name: "Sign in" })).toBeDisabled();
  expect(page.url()).not.toContain("password");

  releaseApp();
  await expect(form.getByRole("button", { name: "Sign in" })).toBeEnabled();
  await expect(form.getByLabel("Email")).toHaveValue(email);
  await form.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("account-link")).toHaveText(email);
  expect(page.url()).not.toContain("password");
  await context.close();
});

import { colleague, customerUpsert, expect, open, search, synced, test, uid } from "./helpers";

// Counts of the whole team's customers are asserted: a team of its own.
test.use({ team: "own" });

test("250 filtered customers change status in one bulk action, and one undo takes it all back", async ({
  page,
  request,
}) => {
  const tag = uid();
  const changes = Array.from({ length: 250 }, (_, n) =>
    customerUpsert({ name: `Bulk ${tag} ${String(n).padStart(3, "0")}`, status: "Prospect" }),
  );
  changes.push(customerUpsert({ name: `Elsewhere ${tag}`, status: "Prospect" }));
  expect((await colleague(request).push(changes)).ok()).toBe(true);
  await open(page);
  const count = (status: string) => page.getByTestId(`status-${status}`).locator(".count");
  await expect(count("prospect")).toHaveText("251");
  await search(page).fill(`Bulk ${tag}`);

  // A click, then Shift+click four rows down, selects the five.
  const boxes = page.getByTestId("select-row");
  await boxes.nth(0).click();
  await expect(page.getByTestId("selected-count")).toHaveText("1 selected");
  await boxes.nth(4).click({ modifiers: ["Shift"] });
  await expect(page.getByTestId("selected-count")).toHaveText("5 selected");
  await page.getByTestId("select-all-matching").click();
  await expect(page.getByTestId("selected-count")).toHaveText("250 selected");

  await page.getByTestId("bulk-status").selectOption("Inactive");
  const started = Date.now();
  await page.getByRole("button", { name: "Change status" }).click();
  await expect(count("inactive")).toHaveText("250");
  console.log(`bulk status change of 250 customers on screen in ${Date.now() - started} ms`);
  await expect(count("prospect")).toHaveText("1");
  await expect(page.getByTestId("undo-label")).toHaveText("Changed the status of 250 customers to Inactive");
  await expect(page.getByTestId("bulk-outcome")).toHaveText("Done: 250 customers changed.");
  await expect(page.getByTestId("bulk-bar")).toBeHidden();

  await page.getByTestId("undo").click();
  await expect(page.getByTestId("undo-notice")).toHaveText("Undone: Changed the status of 250 customers to Inactive");
  await expect(count("prospect")).toHaveText("251");
  await expect(count("inactive")).toHaveText("0");
  await synced(page);
  await page.reload();
  await expect(count("prospect")).toHaveText("251");
  await expect(count("inactive")).toHaveText("0");
});

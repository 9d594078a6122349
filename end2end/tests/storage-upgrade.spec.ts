import { expect, type Page } from "@playwright/test";
import { addCustomer, open, search, synced, test, uid } from "./helpers";

/** A UUID version 7 for now, as the app makes them. */
function uuidV7(): string {
  const hex =
    Date.now().toString(16).padStart(12, "0") +
    "7" +
    Math.random().toString(16).slice(2, 5).padEnd(3, "0") +
    "8" +
    Array.from({ length: 15 }, () => Math.floor(Math.random() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The sync client id and next mutation id the app's store holds now. */
async function syncIdentity(page: Page): Promise<{ clientId: string; nextMutationId: number }> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const opening = indexedDB.open("clientele");
        opening.onerror = () => reject(opening.error);
        opening.onsuccess = () => {
          const db = opening.result;
          const meta = db.transaction("meta").objectStore("meta");
          const clientId = meta.get("client_id");
          const next = meta.get("next_mutation_id");
          next.onsuccess = () => {
            db.close();
            resolve({ clientId: JSON.parse(clientId.result), nextMutationId: JSON.parse(next.result ?? "1") });
          };
          next.onerror = () => reject(next.error);
        };
      }),
  );
}

test("a device whose store was written by the previous version pulls again and keeps its queued change", async ({
  twoDevices,
}) => {
  const tag = uid();
  const [{ context, page }, { page: other }] = twoDevices;
  await open(page);
  await addCustomer(page, { name: `Before upgrade ${tag}` });
  await synced(page);
  const { clientId, nextMutationId } = await syncIdentity(page);

  // Leave the app (a static file of the same origin), then put back the
  // store as version 1 of the app kept it: one record per value, a cursor
  // past everything, and a change queued offline that never reached the server.
  await page.goto("/favicon.svg");
  const queuedId = uuidV7();
  const staleId = uuidV7();
  await page.evaluate(
    ({ tag, clientId, nextMutationId, queuedId, staleId }) =>
      new Promise<void>((resolve, reject) => {
        const deleting = indexedDB.deleteDatabase("clientele");
        deleting.onerror = () => reject(deleting.error);
        deleting.onsuccess = () => {
          const opening = indexedDB.open("clientele", 1);
          opening.onupgradeneeded = () => {
            for (const store of ["records", "outbox", "rejected", "meta"]) opening.result.createObjectStore(store);
          };
          opening.onerror = () => reject(opening.error);
          opening.onsuccess = () => {
            const db = opening.result;
            const tx = db.transaction(["records", "outbox", "meta"], "readwrite");
            const now = new Date().toISOString();
            tx.objectStore("records").put(
              JSON.stringify({
                entity: "customer",
                record: {
                  id: staleId,
                  version: 1,
                  deleted: false,
                  created_at: now,
                  updated_at: now,
                  name: `Stale copy ${tag}`,
                  kind: "company",
                  status: "Prospect",
                },
              }),
              `customer/${staleId}`,
            );
            tx.objectStore("outbox").put(
              JSON.stringify({
                mutation: {
                  id: nextMutationId,
                  entity: "customer",
                  op: "upsert",
                  record_id: queuedId,
                  base_version: 0,
                  fields: { name: `Queued before upgrade ${tag}`, kind: "company", status: "Customer" },
                },
                acknowledged: false,
              }),
              nextMutationId,
            );
            const meta = tx.objectStore("meta");
            meta.put(JSON.stringify(clientId), "client_id");
            meta.put(JSON.stringify(nextMutationId + 1), "next_mutation_id");
            meta.put(JSON.stringify(Number.MAX_SAFE_INTEGER), "cursor");
            tx.oncomplete = () => {
              db.close();
              resolve();
            };
            tx.onerror = () => reject(tx.error);
          };
        };
      }),
    { tag, clientId, nextMutationId, queuedId, staleId },
  );

  await open(page);
  await synced(page);
  // Pulled again from the start, though the old cursor was past everything.
  await search(page).fill(tag);
  await expect(page.getByRole("link", { name: `Before upgrade ${tag}`, exact: true })).toBeVisible();
  // The queued change went out once, under the same client id.
  await expect(page.getByRole("link", { name: `Queued before upgrade ${tag}` })).toBeVisible();
  // The old copy is gone with the old records.
  await expect(page.getByRole("link", { name: `Stale copy ${tag}` })).toHaveCount(0);

  // What was pulled is stored in the new form: it is there offline.
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId("sync-status")).toHaveAttribute("data-loaded", "true");
  await search(page).fill(tag);
  await expect(page.getByRole("link", { name: `Before upgrade ${tag}`, exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: `Queued before upgrade ${tag}` })).toBeVisible();

  // And a second device sees the queued customer exactly once.
  await context.setOffline(false);
  await open(other);
  await synced(other);
  await search(other).fill(`Queued before upgrade ${tag}`);
  await expect(other.getByRole("link", { name: `Queued before upgrade ${tag}` })).toHaveCount(1);
});

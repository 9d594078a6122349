import { request, type FullConfig } from "@playwright/test";
import { E2E_PASSWORD, TEAM_STATE } from "./tests/accounts";

/**
 * Signs up the team every journey works in, once per run, and saves its
 * session cookie: every browser context and request of the run starts signed
 * in as this team (see `storageState` in the config). Journeys about
 * accounts themselves start from an empty state instead.
 */
export default async function globalSetup(config: FullConfig): Promise<void> {
  const baseURL = config.projects[0].use.baseURL;
  const context = await request.newContext({ baseURL });
  const reply = await context.post("/api/auth/signup", {
    data: { email: `team-${Date.now()}@e2e.test`, password: E2E_PASSWORD, workspace_name: "End-to-end team" },
  });
  if (!reply.ok()) throw new Error(`signing up the e2e team failed: ${reply.status()} ${await reply.text()}`);
  await context.storageState({ path: TEAM_STATE });
  await context.dispose();
}

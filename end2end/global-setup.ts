import type { FullConfig } from "@playwright/test";
import { TEAM_STATE, signUpTeam } from "./tests/accounts";

/**
 * Signs up the team every journey works in, once per run, and saves its
 * session cookie: every browser context and request of the run starts signed
 * in as this team (see `storageState` in the config). Journeys about
 * accounts themselves start from an empty state instead.
 */
export default async function globalSetup(config: FullConfig): Promise<void> {
  await signUpTeam(config.projects[0].use.baseURL, "End-to-end team", TEAM_STATE);
}

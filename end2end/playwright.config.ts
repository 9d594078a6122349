import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// One server and one fresh database per run. The config is evaluated again in
// every worker, so the run directory is fixed in the environment the workers inherit.
process.env.E2E_RUN_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "clientele-e2e-"));
const port = Number(process.env.E2E_PORT ?? 3417);
const baseURL = `http://127.0.0.1:${port}`;
const root = path.resolve(__dirname, "..");

export default defineConfig({
  testDir: "./tests",
  // Signs up the shared team once the server is up (webServer starts first).
  globalSetup: "./global-setup.ts",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    // Every context starts signed in as the team the global setup made.
    storageState: path.join(process.env.E2E_RUN_DIR, "team-state.json"),
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  // Playwright starts the release binary and waits until it answers.
  webServer: {
    command: path.join(root, "target/release/clientele"),
    cwd: root,
    url: baseURL,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: path.join(root, "target/site"),
      LEPTOS_ENV: "PROD",
      // scripts/test runs the journeys a second time on a throwaway
      // PostgreSQL (scripts/postgres) by setting E2E_DATABASE_URL.
      DATABASE_URL:
        process.env.E2E_DATABASE_URL ?? `sqlite://${path.join(process.env.E2E_RUN_DIR, "e2e.db")}`,
      RUST_LOG: "warn",
    },
  },
});

// Clientele's service worker: the app shell and its assets, so a reload or a
// new tab at any URL works with no network (DESIGN.md section 5).
//
// Navigations go to the network first and fall back to the cached shell, a
// page rendered for /shell that the app mounts into instead of hydrating.
// Assets are network-first too, so an online visit always refreshes them.
// Server functions are POSTs and never touch the cache.
//
// The WASM bundle is split by route (cargo leptos build --split): pages
// other than the customer list load their code on first use. Installing
// caches every piece the split manifest names, so each page opens offline
// even if it was never visited online.

const CACHE = "clientele-shell-v2";
const SHELL = "/shell";
const PKG = "/pkg/";
const SPLIT_MANIFEST = `${PKG}__wasm_split_manifest.json`;
const SPLIT_LOADER = `${PKG}__wasm_split.______________________.js`;
const ASSETS = [
  SHELL,
  `${PKG}clientele.js`,
  `${PKG}clientele.wasm`,
  `${PKG}clientele.css`,
  "/favicon.svg",
  "/manifest.webmanifest",
];

/** Every split piece of the bundle, read from the manifest the build writes. */
async function splitPieces() {
  const response = await fetch(SPLIT_MANIFEST, { cache: "no-cache" });
  if (!response.ok) return [];
  const manifest = await response.json();
  const pieces = new Set(Object.values(manifest).flat());
  return [SPLIT_MANIFEST, SPLIT_LOADER, ...[...pieces].map((piece) => `${PKG}${piece}.wasm`)];
}

/** Whether a same-origin path is part of the app the cache keeps. */
function isAsset(path) {
  return ASSETS.includes(path) || path.startsWith(PKG);
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then(async (cache) => cache.addAll([...ASSETS, ...(await splitPieces())]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

async function networkFirst(request, fallback) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && request.url.startsWith(self.location.origin)) {
      const path = new URL(request.url).pathname;
      if (isAsset(path)) await cache.put(request, response.clone());
    }
    return response;
  } catch (offline) {
    const cached = await cache.match(fallback ?? request);
    if (cached) return cached;
    throw offline;
  }
}

async function refreshShell() {
  try {
    const cache = await caches.open(CACHE);
    await cache.add(SHELL);
  } catch (offline) {
    // Keep the shell we have; the next online navigation refreshes it.
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || !request.url.startsWith(self.location.origin)) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, SHELL));
    event.waitUntil(refreshShell());
    return;
  }
  if (isAsset(new URL(request.url).pathname)) {
    event.respondWith(networkFirst(request));
  }
});

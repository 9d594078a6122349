// Clientele's service worker: the app shell and its assets, so a reload or a
// new tab at any URL works with no network (DESIGN.md section 5).
//
// Navigations go to the network first and fall back to the cached shell, a
// page rendered for /shell that the app mounts into instead of hydrating.
// Assets are network-first too, so an online visit always refreshes them.
// Server functions are POSTs and never touch the cache.
//
// A network that accepts connections and never answers must not hold the
// app: after NETWORK_WAIT_MS without an answer, whatever is cached answers
// (the request goes on, and refreshes the cache if it ever completes). A
// page answered from the cache gets its assets straight from the cache, so
// it opens at once and its code is all of one version.
//
// The WASM bundle is split by route (cargo leptos build --split): pages
// other than the customer list load their code on first use. Installing
// caches every piece the split manifest names, so each page opens offline
// even if it was never visited online.

const CACHE = "clientele-shell-v2";
const NETWORK_WAIT_MS = 1500;
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

/** Pages (client ids) that were answered from the cache. */
const pagesFromCache = new Set();

/** Resolves to null after NETWORK_WAIT_MS. */
function networkWait() {
  return new Promise((resolve) => setTimeout(() => resolve(null), NETWORK_WAIT_MS));
}

/**
 * The network's answer, or the cached `fallback` (the request itself by
 * default) when the network fails or gives no answer in time; with nothing
 * cached, the network's answer however long it takes.
 */
async function networkFirst(event, fallback) {
  const request = event.request;
  const cache = await caches.open(CACHE);
  const fromNetwork = fetch(request).then((response) => {
    if (response.ok && isAsset(new URL(request.url).pathname)) {
      event.waitUntil(cache.put(request, response.clone()).catch(() => {}));
    }
    return response;
  });
  event.waitUntil(fromNetwork.catch(() => {}));
  let failure;
  try {
    const response = await Promise.race([fromNetwork, networkWait()]);
    if (response) return response;
  } catch (offline) {
    failure = offline;
  }
  const cached = await cache.match(fallback ?? request);
  if (cached) {
    if (request.mode === "navigate" && event.resultingClientId) pagesFromCache.add(event.resultingClientId);
    return cached;
  }
  if (failure) throw failure;
  return fromNetwork;
}

/** An asset for a page the cache answered: the cached copy, at once. */
async function cacheFirst(event) {
  const cached = await caches.match(event.request);
  return cached ?? networkFirst(event);
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
    event.respondWith(networkFirst(event, SHELL));
    event.waitUntil(refreshShell());
    return;
  }
  if (isAsset(new URL(request.url).pathname)) {
    event.respondWith(pagesFromCache.has(event.clientId) ? cacheFirst(event) : networkFirst(event));
  }
});

// Clientele's service worker: the app shell and its assets, so a reload or a
// new tab at any URL works with no network (DESIGN.md section 5).
//
// Navigations go to the network first and fall back to the cached shell, a
// page rendered for /shell that the app mounts into instead of hydrating.
// Assets are network-first too, so an online visit always refreshes them.
// Server functions are POSTs and never touch the cache.

const CACHE = "clientele-shell-v1";
const SHELL = "/shell";
const ASSETS = [
  SHELL,
  "/pkg/clientele.js",
  "/pkg/clientele.wasm",
  "/pkg/clientele.css",
  "/favicon.svg",
  "/manifest.webmanifest",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(ASSETS))
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
      if (ASSETS.includes(path)) await cache.put(request, response.clone());
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
  if (ASSETS.includes(new URL(request.url).pathname)) {
    event.respondWith(networkFirst(request));
  }
});

/* Glassbox's service worker: the whole site offline after one visit (imported by sw.js, which the build
   writes at the site's root with this build's version; see sitebuild/offline.py).

   Install    fetch precache-manifest.json, check it is this version's (its sha256), then fetch every file
              it lists under "precache" into the cache glassbox-site-VERSION, each checked against its
              sha256 (a copy from the HTTP cache that is another build's is fetched again from the network;
              still wrong, the install fails and the version in use stays).
   Activate   delete every other glassbox-site-* cache. The browser activates a new version only once no
              page of the old one is open, so no page ever mixes two builds' files.
   Fetch      this site's GET requests: a precached file from the cache (a page's address with its query
              string ignored: a static host serves the same page; any other file only at its exact
              address), else the network. A file of a model loaded on request (SmolLM2's tokenizer,
              model.json) is kept the first time the page fetches it, after the reader asked for the
              model; its weight parts the page's worker keeps itself, so they pass through. The Pyodide
              worker's fetches (wheels, .wasm, the standard library, data) come here too: the worker
              belongs to a page this service worker controls. */
"use strict";

const VERSION = self.GLASSBOX_OFFLINE.version;
const CACHE = "glassbox-site-" + VERSION;
const SCOPE = new URL(self.registration.scope);
const MANIFEST_URL = new URL(self.GLASSBOX_OFFLINE.manifest, SCOPE).href;
const PARALLEL = 6;                // downloads at once while installing, as a browser does per host

let known = null;                  // {url without query: {kind, sha256}}, read from the cached manifest

function hex(buffer) {
  return crypto.subtle.digest("SHA-256", buffer).then((d) =>
    Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join(""));
}

function siteURL(path) {
  return new URL(path, SCOPE).href;
}

// The bytes of url as this version has them, or an error: the HTTP cache's copy first (no request while
// it is fresh), the network's if that copy is another build's.
async function verified(url, sha256) {
  for (const cache of ["default", "reload"]) {
    const response = await fetch(url, { cache });
    if (!response.ok) throw new Error(url + ": HTTP " + response.status);
    const bytes = await response.arrayBuffer();
    if ((await hex(bytes)) === sha256) {
      const type = response.headers.get("Content-Type");
      return new Response(bytes, { headers: type ? { "Content-Type": type } : {} });
    }
  }
  throw new Error(url + " is not this build's (its sha256 differs from the manifest's)");
}

function table(manifest) {
  const urls = {};
  for (const kind of ["precache", "on_request", "not_cached"]) {
    for (const [path, sha256] of Object.entries(manifest[kind])) urls[siteURL(path)] = { kind, sha256 };
  }
  return urls;
}

async function install() {
  const bytes = await (await fetch(MANIFEST_URL, { cache: "reload" })).arrayBuffer();
  if ((await hex(bytes)) !== VERSION) throw new Error("the site changed while installing; the next visit tries again");
  const manifest = JSON.parse(new TextDecoder().decode(bytes));
  const cache = await caches.open(CACHE);
  const todo = [];
  for (const [path, sha256] of Object.entries(manifest.precache)) {
    if (!(await cache.match(siteURL(path)))) todo.push([siteURL(path), sha256]);   // kept by an earlier try
  }
  const worker = async () => {
    for (let next = todo.shift(); next; next = todo.shift()) await cache.put(next[0], await verified(...next));
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  await cache.put(MANIFEST_URL, new Response(bytes, { headers: { "Content-Type": "application/json" } }));
}

async function forgetOtherVersions() {
  for (const name of await caches.keys()) {
    if (name.startsWith("glassbox-site-") && name !== CACHE) await caches.delete(name);
  }
}

async function activate() {
  await forgetOtherVersions();
  await self.clients.claim();    // a first visit's page is served from the cache from now on
}

async function lookup() {
  if (!known) {
    const response = await caches.match(MANIFEST_URL, { cacheName: CACHE });
    known = response ? table(await response.json()) : {};
  }
  return known;
}

// The cache's key for a request, or null where the network answers alone (a file this build does not list,
// a file with a query string, a model's weight parts).
function cacheKey(request, urls) {
  const url = new URL(request.url);
  const page = request.mode === "navigate";
  let key = url.href;
  if (page) {
    key = url.origin + url.pathname;           // a page's query string (and #fragment) changes nothing
    if (key.endsWith("/")) key += "index.html";
  }
  const entry = urls[key];
  return entry && (page || !url.search) && entry.kind !== "not_cached" ? key : null;
}

async function respond(request) {
  const urls = await lookup();
  const key = cacheKey(request, urls);
  if (!key) return fetch(request);
  const hit = await caches.match(key, { cacheName: CACHE });
  if (hit) return hit;
  if (urls[key].kind === "precache") return fetch(request);   // evicted: the network, until the next version
  try {
    const response = await verified(key, urls[key].sha256);   // asked for by the reader: kept from now on
    const cache = await caches.open(CACHE);
    await cache.put(key, response.clone());
    return response;
  } catch (err) {
    return fetch(request);                                      // another build's copy: not kept
  }
}

self.addEventListener("install", (event) => event.waitUntil(install()));
self.addEventListener("activate", (event) => event.waitUntil(activate()));
self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return;
  if (url.href === self.location.href) return;          // sw.js itself (the browser's update check)
  if (known && !cacheKey(request, known)) return;       // the network, without this worker in between
  event.respondWith(respond(request));
});

/* Glassbox worker: loads Pyodide, numpy and llm_core off the main thread, then answers calls.
   Messages in:  {type: "init", config} then {id, type: "call"|"py"|"repl", ...}
                 {id, type: "load-model", name, dataURL}, {id, type: "load-file", file}, {type: "cancel-load"}
   Messages out: {type: "ready"} | {type: "failed", error} | {id, ok, value} | {id, ok: false, error}
                 {id, type: "progress", phase, loaded, total} while a model loads */
"use strict";

let runtime = null;      // glassbox_runtime's entry points, PyProxies kept for the page's life
let pyodide = null;
let readyResolve, readyReject;
const ready = new Promise((resolve, reject) => { readyResolve = resolve; readyReject = reject; });
ready.catch(() => {});

function fetchBytes(url) {
  return fetch(url).then((r) => {
    if (!r.ok) throw new Error("could not load " + url + " (HTTP " + r.status + ")");
    return r.arrayBuffer();
  }).then((b) => new Uint8Array(b));
}

// Data files (vocabularies, model weights) arrive after Python starts; calls wait for them.
let dataReady = Promise.resolve();
let dataError = null;

function writeFile(path, bytes) {
  pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
  pyodide.FS.writeFile(path, bytes);
}

async function init(config) {
  const t0 = performance.now();
  const timing = { since: performance.timeOrigin + t0 };   // phases below: ms after this moment (epoch ms)
  // The runtime and the page's widget modules are small: fetch them at once, alongside Pyodide.
  const code = [["/glassbox/glassbox_runtime.py", config.runtimeURL]];
  for (const w of config.widgets) code.push(["/glassbox/glassbox_widgets/" + w.name + ".py", w.url]);
  const codeFetched = Promise.all(code.map(([path, url]) => fetchBytes(url).then((b) => [path, b])));
  codeFetched.catch(() => {});

  importScripts(config.indexURL + "pyodide.js");
  const options = { indexURL: config.indexURL, packages: [] };
  if (config.lockFileURL) options.lockFileURL = config.lockFileURL;
  pyodide = await loadPyodide(options);
  timing.pyodide = performance.now() - t0;
  await pyodide.loadPackage(config.packages, { messageCallback: () => {}, errorCallback: (m) => console.warn(m) });
  timing.packages = performance.now() - t0;
  // Data starts only now, so it does not compete with the downloads and unpacking of Pyodide, numpy
  // and llm_core; Python is ready without it, and every call waits for it (a reader cannot type
  // faster than it arrives).
  dataReady = Promise.all(config.dataFiles.map((d) => fetchBytes(d.url).then((b) => writeFile("/glassbox/data/" + d.path, b))))
    .then(() => { timing.data = performance.now() - t0; }, (err) => { dataError = err; });
  for (const [path, bytes] of await codeFetched) writeFile(path, bytes);
  writeFile("/glassbox/glassbox_widgets/__init__.py", new Uint8Array());
  pyodide.runPython([
    "import os, sys",
    "os.environ['GLASSBOX_DATA'] = '/glassbox/data'",
    "os.environ['GLASSBOX_DATA_URL'] = " + JSON.stringify(config.dataURL),
    "sys.path.insert(0, '/glassbox')",
  ].join("\n"));
  const mod = pyodide.pyimport("glassbox_runtime");
  timing.runtime = performance.now() - t0;
  self.glassboxTiming = timing;
  // subtle: attributes borrowed from a proxy die with it; copy them so they outlive the module proxy.
  runtime = { call: mod.call_widget.copy(), py: mod.run_py.copy(), repl: mod.run_repl.copy(),
              modelStep: mod.load_model_step.copy(), checkFile: mod.check_model_file.copy() };
  mod.destroy();
}

function toPlainJs(value) {
  // Python values arrive as JS primitives or PyProxies; convert proxies to plain data and free them.
  if (value && typeof value === "object" && typeof value.toJs === "function") {
    try {
      return value.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
    } finally {
      value.destroy();
    }
  }
  return value;
}

// -- a real model, loaded on the reader's request -----------------------------------------------
// The file comes in parts (static hosts refuse very large files); each part is kept in the browser's
// Cache Storage, so a return visit reads it from disk instead of the network. Then Python reads it
// one layer per step; between steps the worker answers other calls, so the page's other widgets keep
// working while the model loads.
const MODEL_CACHE = "glassbox-models-v1";
let loadAbort = null;

async function cachedPart(url, signal, onBytes) {
  const cache = (typeof caches === "object") ? await caches.open(MODEL_CACHE).catch(() => null) : null;
  const hit = cache && await cache.match(url);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    onBytes(bytes.length, true);
    return bytes;
  }
  const response = await fetch(url, { signal });
  if (!response.ok) throw new Error("could not download " + url + " (HTTP " + response.status + ")");
  const reader = response.body.getReader();
  const chunks = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    n += value.length;
    onBytes(value.length, false);
  }
  const bytes = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  if (cache) await cache.put(url, new Response(bytes)).catch(() => {});   // full quota: next visit downloads again
  return bytes;
}

async function hexDigest(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function loadModel(msg) {
  const post = (phase, loaded, total) => self.postMessage({ id: msg.id, type: "progress", phase, loaded, total });
  loadAbort = new AbortController();
  const signal = loadAbort.signal;
  const base = msg.dataURL;   // part paths in model.json are relative to the site's data folder
  const manifest = await (await fetch(base + "models/" + msg.name + "/model.json", { signal })).json();
  let loaded = 0;
  let fromCache = 0;
  const parts = [];
  for (const part of manifest.parts) {
    const bytes = await cachedPart(base + part.path, signal, (n, cached) => {
      loaded += n;
      if (cached) fromCache += n;
      post("download", loaded, manifest.bytes);
    });
    if (bytes.length !== part.bytes || (await hexDigest(bytes)) !== part.sha256) {
      if (typeof caches === "object") await caches.open(MODEL_CACHE).then((c) => c.delete(base + part.path)).catch(() => {});
      throw new Error(part.path + " arrived damaged (wrong size or sha256); try again");
    }
    parts.push(bytes);
  }
  await ready;
  const relpath = "models/" + msg.name + "/" + manifest.file;
  writeParts("/glassbox/data/" + relpath, parts);
  parts.length = 0;
  const model = await readLayers(relpath, signal, post);
  return Object.assign(model, { bytes: manifest.bytes, fromCache });
}

function writeParts(path, parts) {
  pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
  const stream = pyodide.FS.open(path, "w");
  for (const bytes of parts) pyodide.FS.write(stream, bytes, 0, bytes.length);
  pyodide.FS.close(stream);
}

// One layer per step; a cancel between steps stops it, and other calls run in between.
async function readLayers(relpath, signal, post) {
  for (;;) {
    if (signal.aborted) { runtime.modelStep(relpath, true); throw new Error("cancelled"); }
    const step = JSON.parse(runtime.modelStep(relpath, false));
    if (step.error) throw new Error(step.error);
    post("unpack", step.done, step.total);
    if (step.model) return step.model;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

// A GGUF file from the reader's own disk (a File; nothing leaves the device). Checked from its first
// bytes before the rest is read: a file that is not GGUF, another architecture, an unsupported tensor
// type or too large for the page is refused at once.
const READER_FILE = "models/file/model.gguf";

async function loadFile(msg) {
  const post = (phase, loaded, total) => self.postMessage({ id: msg.id, type: "progress", phase, loaded, total });
  loadAbort = new AbortController();
  const signal = loadAbort.signal;
  const file = msg.file;
  await ready;
  let n = Math.min(file.size, 1 << 20);
  let info = null;
  while (!info) {
    const head = new Uint8Array(await file.slice(0, n).arrayBuffer());
    const answer = JSON.parse(runtime.checkFile(head, file.size));
    if (answer.error) throw new Error(answer.error);
    if (answer.more) n = answer.more; else info = answer.model;
  }
  const parts = [];
  let loaded = 0;
  const reader = file.stream().getReader();
  for (;;) {
    if (signal.aborted) { reader.cancel(); throw new Error("cancelled"); }
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    post("read", loaded, file.size);
  }
  writeParts("/glassbox/data/" + READER_FILE, parts);
  parts.length = 0;
  const model = await readLayers(READER_FILE, signal, post);
  return Object.assign(model, { bytes: file.size, file: file.name });
}

async function handle(msg) {
  if (msg.type === "load-model" || msg.type === "load-file") {
    return (msg.type === "load-model" ? loadModel(msg) : loadFile(msg)).catch((err) => {
      throw (loadAbort && loadAbort.signal.aborted) ? new Error("cancelled") : err;
    });
  }
  await ready;
  await dataReady;
  if (dataError && msg.type === "call") throw new Error("this page's data did not load: " + dataError.message);
  if (msg.type === "call") {
    return runtime.call(msg.name, msg.params);                 // JSON text
  }
  if (msg.type === "py") {
    return toPlainJs(runtime.py(msg.code));
  }
  if (msg.type === "repl") {
    return runtime.repl(msg.code);                             // JSON text
  }
  throw new Error("unknown message type " + msg.type);
}

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === "cancel-load") {
    if (loadAbort) loadAbort.abort();
    return;
  }
  if (msg.type === "init") {
    init(msg.config).then(() => {
      readyResolve();
      self.postMessage({ type: "ready", timing: self.glassboxTiming });
    }, (err) => {
      readyReject(err);
      self.postMessage({ type: "failed", error: String((err && err.message) || err) });
    });
    return;
  }
  handle(msg).then(
    (value) => self.postMessage({ id: msg.id, ok: true, value }),
    (err) => {
      const error = String((err && err.message) || err);
      self.postMessage({ id: msg.id, ok: false, error });
      // After a fatal error (e.g. the WebAssembly stack overflowed) Pyodide cannot run anything again.
      if (/fatal(ly)? (error|failed)/i.test(error)) self.postMessage({ type: "dead", error: "Pyodide hit a fatal error" });
    },
  );
};

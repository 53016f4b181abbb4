/* Glassbox worker: loads Pyodide, numpy and llm_core off the main thread, then answers calls.
   Messages in:  {type: "init", config} then {id, type: "call"|"py"|"repl", ...}
   Messages out: {type: "ready"} | {type: "failed", error} | {id, ok, value} | {id, ok: false, error} */
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
  runtime = { call: mod.call_widget.copy(), py: mod.run_py.copy(), repl: mod.run_repl.copy() };
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

async function handle(msg) {
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

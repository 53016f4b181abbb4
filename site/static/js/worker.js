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

async function init(config) {
  // Start every download at once; they overlap with Pyodide's own start-up.
  const files = [["/glassbox/glassbox_runtime.py", config.runtimeURL],
                 ["/glassbox/glassbox_widgets/__init__.py", null]];
  for (const w of config.widgets) files.push(["/glassbox/glassbox_widgets/" + w.name + ".py", w.url]);
  for (const d of config.dataFiles) files.push(["/glassbox/data/" + d.path, d.url]);
  const downloads = files.map(([path, url]) => (url ? fetchBytes(url) : Promise.resolve(new Uint8Array())).then((b) => [path, b]));
  downloads.forEach((p) => p.catch(() => {}));

  importScripts(config.indexURL + "pyodide.js");
  const options = { indexURL: config.indexURL, packages: [] };
  if (config.lockFileURL) options.lockFileURL = config.lockFileURL;
  pyodide = await loadPyodide(options);
  await pyodide.loadPackage(config.packages, { messageCallback: () => {}, errorCallback: (m) => console.warn(m) });
  for (const [path, bytes] of await Promise.all(downloads)) {
    pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    pyodide.FS.writeFile(path, bytes);
  }
  pyodide.runPython([
    "import os, sys",
    "os.environ['GLASSBOX_DATA'] = '/glassbox/data'",
    "os.environ['GLASSBOX_DATA_URL'] = " + JSON.stringify(config.dataURL),
    "sys.path.insert(0, '/glassbox')",
  ].join("\n"));
  const mod = pyodide.pyimport("glassbox_runtime");
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
      self.postMessage({ type: "ready" });
    }, (err) => {
      readyReject(err);
      self.postMessage({ type: "failed", error: String((err && err.message) || err) });
    });
    return;
  }
  handle(msg).then(
    (value) => self.postMessage({ id: msg.id, ok: true, value }),
    (err) => self.postMessage({ id: msg.id, ok: false, error: String((err && err.message) || err) }),
  );
};

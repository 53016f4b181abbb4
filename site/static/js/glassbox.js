/* Glassbox page runtime (main thread).

   Starts one Web Worker that runs Pyodide + numpy + llm_core, and makes every widget on the page live:
   <figure class="widget" data-widget="NAME" data-state="static|loading|live|error">.
   Widgets register with glassbox.widget(NAME, {read, draw, mount}); see widgets/README.md.

   window.glassbox.ready          Promise, resolves when the worker is live (asking for it starts Python
                                  on a page without widgets, where it does not start by itself)
   window.glassbox.py(code)       runs Python in the worker; resolves to the last expression as plain data,
                                  rejects with the Python traceback
   window.glassbox.compute(name, params)   a widget's compute(params) in the worker (parsed JSON)
   window.glassbox.restart()      a fresh worker (offered on every widget if the worker dies or gets stuck)
   window.glassbox.models         real models loaded on the reader's request: .load(name), .cancel(),
                                  .state(name); each change is a "glassbox:model" event on document
   Nothing here needs SharedArrayBuffer, so the site works on hosts without COOP/COEP headers. */
(function () {
  "use strict";

  const specs = {};             // widget name -> {read, draw, mount}
  const instances = [];
  const pending = new Map();    // message id -> {resolve, reject}
  let worker = null;
  let dead = false;             // the worker stopped after it was live (crash, fatal error): offer a restart
  let nextId = 1;
  let started = false;          // a page with widgets starts Python at once; others when first asked
  let ready, readyResolve, readyReject;
  function newReady() {
    ready = new Promise((resolve, reject) => { readyResolve = resolve; readyReject = reject; });
    ready.catch(() => {});      // failures are shown on each widget; no unhandled rejection
  }
  newReady();

  function send(message, progress) {
    if (!worker) return Promise.reject(new Error("Python is not running on this page"));
    return new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject, progress });
      worker.postMessage(Object.assign({ id }, message));
    });
  }

  function whenReady() {
    if (!started) startWorker();
    return ready;
  }

  function py(code) {
    return whenReady().then(() => send({ type: "py", code: String(code) }));
  }

  function repl(code) {
    return whenReady().then(() => send({ type: "repl", code: String(code) })).then((text) => JSON.parse(text));
  }

  function compute(name, params) {
    return whenReady().then(() => send({ type: "call", name, params: JSON.stringify(params) })).then((text) => JSON.parse(text));
  }

  function siteURL(relative) {
    return new URL(relative, document.baseURI).href;
  }

  function startWorker() {
    started = true;
    const page = document.documentElement.dataset;   // the build writes the page's needs on <html>
    const words = (s) => (s || "").split(/\s+/).filter(Boolean);
    const cdn = page.pyodideCdn === "true";
    const index = siteURL(page.pyodideIndex || "pyodide/");
    const wheelURL = siteURL("pyodide/" + page.wheel);
    const config = {
      indexURL: index,
      // With the site's own lock, "llm_core" resolves to our wheel and brings numpy along.
      lockFileURL: cdn ? null : siteURL("pyodide/pyodide-lock.json"),
      packages: cdn ? ["numpy", wheelURL] : ["llm_core"],
      runtimeURL: siteURL("static/py/glassbox_runtime.py"),
      dataURL: siteURL("data/"),
      widgets: words(page.widgets).map((name) => ({ name, url: siteURL("widgets/" + name + ".py") })),
      dataFiles: words(page.dataFiles).map((path) => ({ path, url: siteURL("data/" + path) })),
    };
    if (location.protocol === "file:") {
      readyReject(new Error("pages opened from a file cannot start Python; serve the folder over HTTP (make serve)"));
      return;
    }
    if (typeof WebAssembly !== "object" || typeof Worker !== "function") {
      readyReject(new Error("this browser lacks WebAssembly or Web Workers"));
      return;
    }
    try {
      performance.mark("glassbox:worker");
      worker = new Worker(siteURL("static/js/worker.js"));
    } catch (err) {
      readyReject(new Error("the browser refused to start a worker (" + err.message + ")"));
      return;
    }
    worker.onmessage = (event) => {
      const msg = event.data;
      if (msg.type === "ready") {
        performance.mark("glassbox:ready");
        window.glassbox.timing = msg.timing;   // worker start-up phases, ms since the worker began
        readyResolve();
        return;
      }
      if (msg.type === "failed") { readyReject(new Error(msg.error)); return; }
      if (msg.type === "dead") { workerDied(msg.error); return; }
      const p = pending.get(msg.id);
      if (!p) return;
      if (msg.type === "progress") { if (p.progress) p.progress(msg); return; }
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value); else p.reject(new Error(msg.error));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      workerDied(event.message || "unknown error");
    };
    worker.postMessage({ type: "init", config });
  }

  // The worker can die (Pyodide's fatal error, a crash) or get stuck (an endless loop typed in the
  // console). Either way the page stays readable; each widget says what happened and offers a restart.
  function workerDied(reason) {
    if (dead) return;
    dead = true;
    if (worker) worker.terminate();
    worker = null;
    const err = new Error("the Python worker stopped: " + reason);
    readyReject(err);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    forgetModels("Python stopped; load the model again after restarting.");
    for (const inst of instances) offerRestart(inst, "Python stopped in this page (" + reason + ").", "error");
  }

  function restart() {
    if (worker) worker.terminate();
    worker = null;
    dead = false;
    const err = new Error("Python was restarted");
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    forgetModels("");
    newReady();
    for (const inst of instances) {
      const button = inst.el.querySelector(".widget-restart");
      if (button) button.remove();
      if (inst.spec) goLiveWhenReady(inst);
    }
    startWorker();
    return ready;
  }

  function offerRestart(inst, text, state) {
    setStatus(inst, state || inst.el.dataset.state, text + " The figure keeps its last result.");
    const status = inst.el.querySelector(".widget-status");
    if (!status || status.querySelector(".widget-restart")) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "widget-restart";
    button.textContent = "Restart Python";
    button.addEventListener("click", () => restart());
    status.appendChild(button);
  }

  // -- widgets -----------------------------------------------------------------------------------

  function setStatus(inst, state, text) {
    inst.el.dataset.state = state;
    const t = inst.el.querySelector(".widget-status-text");
    if (t) t.textContent = text;
  }

  function showError(inst, message) {
    inst.el.classList.toggle("has-error", Boolean(message));
    const t = inst.el.querySelector(".widget-status-text");
    if (!t) return;
    t.textContent = message ? message : "Live: computed in your browser by llm_core.";
  }

  function draw(inst, result, params) {
    inst.result = result;
    inst.params = params;
    inst.spec.draw(inst.el, result, params);
  }

  // At most one call per widget in flight; while it runs, newer params replace older ones.
  async function pump(inst) {
    if (inst.inFlight) return;
    while (inst.latest) {
      const params = inst.latest;
      inst.latest = null;
      inst.inFlight = true;
      inst.sent = params;
      const started = performance.now();
      inst.calls += 1;
      inst.el.dataset.calls = String(inst.calls);
      inst.concurrent += 1;       // instrumentation for tests: must never exceed 1
      inst.maxConcurrent = Math.max(inst.maxConcurrent, inst.concurrent);
      // A widget that is slow on purpose (generating without a KV cache) may ask for more patience.
      const patience = Math.max(api.stuckAfterMs, (inst.spec && inst.spec.stuckAfterMs) || 0);
      const stuck = setTimeout(() => offerRestart(inst, "Still computing after " +
        Math.round(patience / 1000) + " s: Python may be stuck (an endless loop in the console?)."), patience);
      try {
        const result = await compute(inst.name, params);
        if (result && typeof result === "object" && "error" in result && Object.keys(result).length === 1) {
          showError(inst, result.error);
        } else {
          showError(inst, "");
          draw(inst, result, params);
        }
        inst.el.dispatchEvent(new CustomEvent("glassbox:drawn", {
          detail: { params, ms: performance.now() - started, error: result && result.error },
        }));
      } catch (err) {
        showError(inst, "Could not compute: " + err.message);
      } finally {
        clearTimeout(stuck);
        // A slow call that was offered a restart has finished after all: Python was not stuck.
        const offered = inst.el.querySelector(".widget-restart");
        if (offered && !dead) offered.remove();
        inst.concurrent -= 1;
        inst.inFlight = false;
      }
    }
  }

  function update(inst, params) {
    inst.latest = params;
    if (inst.el.dataset.state === "live") pump(inst);
  }

  // A control's value as its markup gives it: a checkbox's state, a radio group's chosen value, a menu's or
  // a field's text. A slider's, number box's or menu's text that is exactly a number's own spelling goes
  // as that number; anything else ("", "1e400", typed text) goes as typed. Nothing is rounded or clamped
  // here: the widget's Python (llm_core.controls) is the one validator, and what it rejects comes back
  // as a message on screen.
  function controlValues(el) {
    const params = {};
    for (const c of el.querySelectorAll("[data-param]")) {
      if (c.type === "radio" && !c.checked) continue;
      params[c.dataset.param] = paramValue(c, c.type === "checkbox" ? String(c.checked) : c.value);
    }
    return params;
  }

  // A control's value given as text (a link holds only text) -> what goes to Python: a checkbox's "true" or
  // "false" as a boolean, a number's own spelling on a slider, number box or menu as that number, and
  // anything else as the text it is.
  function paramValue(c, text) {
    if (c.type === "checkbox" && (text === "true" || text === "false")) return text === "true";
    if ((c.type === "range" || c.type === "number" || c.tagName === "SELECT") && text !== ""
        && String(Number(text)) === text) return Number(text);
    return text;
  }

  // The params to compute: the last ones sent, every control's value, then what the widget's own read()
  // adds (state that is not in a control, such as a conversation's earlier turns).
  function readParams(inst) {
    return Object.assign({}, inst.params, controlValues(inst.el), inst.spec.read ? inst.spec.read(inst.el) : {});
  }

  // -- real models, loaded on the reader's request ---------------------------------------------------
  // One download per page, whichever widget asked; every model switch on the page shows its progress.
  const models = {};    // name -> {state: "loading"|"ready"|"failed", phase, loaded, total, info, error}
  const MB = (n) => (n / 1e6).toFixed(1);

  function modelState(name) {
    return models[name] || { state: "absent" };
  }

  function announce(name) {
    document.dispatchEvent(new CustomEvent("glassbox:model", { detail: Object.assign({ name }, modelState(name)) }));
    document.querySelectorAll("[data-model-switch]").forEach(showSwitch);
  }

  // name: "smollm2" (the site's copy), or "file" with file: a File the reader picked (read, never uploaded).
  function loadModel(name, file) {
    const known = models[name];
    if (known && known.state === "loading") return known.promise;
    if (known && known.state === "ready") {
      if (!file) return known.promise;
      return Promise.reject(new Error("one file per visit: reload the page to open another"));
    }
    if (!started) startWorker();
    const entry = { state: "loading", phase: file ? "check" : "download", loaded: 0, total: 0 };
    models[name] = entry;
    const message = file ? { type: "load-file", file } : { type: "load-model", name, dataURL: siteURL("data/") };
    entry.promise = send(message, (p) => {
      Object.assign(entry, { phase: p.phase, loaded: p.loaded, total: p.total });
      announce(name);
    }).then((info) => {
      Object.assign(entry, { state: "ready", info });
      announce(name);
      return info;
    }, (err) => {
      if (models[name] !== entry) throw err;                 // restarted meanwhile: already forgotten
      if (/cancelled|aborted/i.test(err.message)) delete models[name];
      else Object.assign(entry, { state: "failed", error: err.message });
      announce(name);
      throw err;
    });
    entry.promise.catch(() => {});
    announce(name);
    return entry.promise;
  }

  function cancelLoad() {
    if (worker) worker.postMessage({ type: "cancel-load" });
  }

  function forgetModels(why) {
    for (const name of Object.keys(models)) {
      if (why) models[name] = { state: "failed", error: why };
      else delete models[name];
      announce(name);
    }
  }

  function switchStatus(m) {
    if (m.state === "loading" && m.phase === "download") {
      return "Downloading: " + MB(m.loaded) + " of " + MB(m.total) + " MB";
    }
    if (m.state === "loading" && m.phase === "check") return "Checking the file…";
    if (m.state === "loading" && m.phase === "read") {
      return "Reading your file: " + MB(m.loaded) + " of " + MB(m.total) + " MB";
    }
    if (m.state === "loading") return "Reading the weights: layer " + m.loaded + " of " + m.total;
    if (m.state === "ready") {
      return "Loaded: " + m.info.params_text + (m.info.fromCache ? " (from your browser's cache)" : "") + ".";
    }
    if (m.state === "failed") return "Could not load it: " + m.error + " The tiny model keeps working.";
    return "";
  }

  function showSwitch(box) {
    const m = modelState("smollm2");
    const load = box.querySelector(".model-load");
    const cancel = box.querySelector(".model-cancel");
    const busy = m.state === "loading" || modelState("file").state === "loading";
    const bar = box.querySelector(".model-progress");
    const real = box.querySelector("input[value='smollm2']");
    load.hidden = m.state === "loading" || m.state === "ready";
    load.disabled = false;
    load.textContent = m.state === "failed" ? "Try again: load SmolLM2-135M-Instruct, 98 MB"
      : "Load SmolLM2-135M-Instruct, 98 MB";
    cancel.hidden = !busy;
    const shown = m.state === "loading" ? m : modelState("file");
    bar.hidden = !busy;
    if (busy && shown.total) { bar.max = shown.total; bar.value = shown.loaded; }
    real.disabled = m.state !== "ready";
    if (real.disabled && real.checked) {                     // the model went away (restart): back to tiny
      box.querySelector("input[value='tiny']").checked = true;
      box.querySelector("input[value='tiny']").dispatchEvent(new Event("input", { bubbles: true }));
    }
    box.querySelector(".model-load-status").textContent = switchStatus(m);
    const f = modelState("file");
    const mine = box.querySelector("input[value='file']");
    mine.disabled = f.state !== "ready";
    if (mine.disabled && mine.checked) {
      box.querySelector("input[value='tiny']").checked = true;
      box.querySelector("input[value='tiny']").dispatchEvent(new Event("input", { bubbles: true }));
    }
    box.querySelector(".model-file-name").textContent = f.state === "ready" ? "Your file: " + f.info.name : "Your own GGUF file";
    box.querySelector(".model-file").disabled = f.state === "loading" || f.state === "ready";
    box.querySelector(".model-file-status").textContent = switchStatus(f);
  }

  function mountSwitch(box) {
    box.querySelector(".model-load").addEventListener("click", () => {
      loadModel("smollm2").then(() => {                       // the widget that asked switches to it
        const real = box.querySelector("input[value='smollm2']");
        if (!real.checked) { real.checked = true; real.dispatchEvent(new Event("input", { bubbles: true })); }
      }, () => {});
    });
    box.querySelector(".model-cancel").addEventListener("click", cancelLoad);
    const picker = box.querySelector(".model-file");
    picker.addEventListener("change", () => {
      const file = picker.files && picker.files[0];
      if (!file) return;
      loadModel("file", file).then(() => {
        const mine = box.querySelector("input[value='file']");
        if (!mine.checked) { mine.checked = true; mine.dispatchEvent(new Event("input", { bubbles: true })); }
      }, () => {});
    });
    showSwitch(box);
  }

  function mountWidget(el) {
    const name = el.dataset.widget;
    let state = { params: {}, result: null };
    try {
      state = JSON.parse(el.querySelector("script.widget-data").textContent);
    } catch (e) { /* keep the static figure */ }
    const spec = specs[name];
    const inst = { el, name, spec, params: state.params, result: state.result, latest: null, inFlight: false, calls: 0,
                   concurrent: 0, maxConcurrent: 0 };
    instances.push(inst);
    if (!spec) {
      setStatus(inst, "error", "Live mode is unavailable: this widget's script did not load. The figure shows the pre-rendered result.");
      return;
    }
    inst.api = {
      get params() { return inst.params; },
      get result() { return inst.result; },
      update: (params) => update(inst, Object.assign({}, inst.params, params)),
    };
    const onInput = (event) => {
      if (!event.target.closest("[data-param]")) return;
      const params = readParams(inst);
      // A "change" follows the "input" that already sent the same value (a slider released, a box
      // ticked, a menu picked): computing it again would only make the reader wait twice.
      const asked = inst.latest || (inst.inFlight ? inst.sent : inst.params);
      if (event.type === "change" && JSON.stringify(params) === JSON.stringify(asked)) return;
      update(inst, params);
    };
    el.addEventListener("input", onInput);
    el.addEventListener("change", onInput);
    el.querySelectorAll("[data-model-switch]").forEach(mountSwitch);
    if (spec.mount) spec.mount(el, inst.api);
    mountShare(inst);
    goLiveWhenReady(inst);
  }

  function goLiveWhenReady(inst) {
    inst.el.classList.remove("has-error");
    setStatus(inst, "loading", "Loading Python in your browser…");
    const waitingFor = ready;
    ready.then(() => {
      setStatus(inst, "live", "Live: computed in your browser by llm_core.");
      if (inst.link) { applyShareLink(inst); return; }
      const now = readParams(inst);
      if (inst.latest || JSON.stringify(now) !== JSON.stringify(inst.params)) update(inst, inst.latest || now);
    }, (err) => {
      if (dead || waitingFor !== ready) return;   // a death after going live is shown by workerDied
      if (inst.link) { inst.link = null; shareNote(inst, "The link's settings need Python, which could not start here."); }
      setStatus(inst, "error", "Live mode is unavailable (" + err.message + "). The figure shows the pre-rendered result.");
    });
  }

  // -- share links -----------------------------------------------------------------------------------
  // A link to one figure as the reader set it: the page's address with the fragment
  // #w=FIGURE-ID&param=value&..., written as URLSearchParams writes it (only the controls that differ from
  // the page's own settings; the model switch is left out, since a link cannot load a model). Opening it
  // sends those values to Python as if the reader had typed them (llm_core.controls is the one validator);
  // what Python refuses leaves the figure at its defaults with a quiet note. Heading anchors (#attention)
  // never contain "=", so they keep working. The address bar and the history are never written.
  const SHARE_MAX_CHARS = 8000;           // longer fragments are not read (nor made) as share links

  function shareControls(el) {
    return [...el.querySelectorAll("[data-param]")].filter((c) => !c.closest("[data-model-switch]") && c.type !== "file");
  }

  function controlText(c) {
    return c.type === "checkbox" || c.type === "radio" ? String(c.checked) : c.value;
  }

  // A control's value as the page was built (its markup's own value: what the reader did not change).
  function builtText(c) {
    if (c.type === "checkbox" || c.type === "radio") return String(c.defaultChecked);
    if (c.tagName === "SELECT") {
      const chosen = [...c.options].find((o) => o.defaultSelected) || c.options[0];
      return chosen ? chosen.value : "";
    }
    return c.defaultValue;
  }

  function setControls(el, texts) {
    for (const c of shareControls(el)) {
      if (!(c.dataset.param in texts)) continue;
      const text = texts[c.dataset.param];
      if (c.type === "checkbox") c.checked = text === "true";
      else if (c.type === "radio") c.checked = c.value === text;
      else c.value = text;
    }
  }

  function shareLink(inst) {
    const query = new URLSearchParams({ w: inst.el.id });
    for (const c of shareControls(inst.el)) {
      if (controlText(c) === builtText(c)) continue;
      if (c.type === "radio") { if (c.checked) query.set(c.dataset.param, c.value); }
      else query.set(c.dataset.param, controlText(c));
    }
    return location.href.split("#")[0] + "#" + query.toString();
  }

  // The fragment -> null (not a share link: a heading anchor, or none), {note} (a share link that cannot be
  // used) or {inst, texts, params}. Nothing of the fragment is echoed back to the reader.
  function readShareLink(hash) {
    if (!hash.startsWith("#w=")) return null;
    const unusable = (why) => ({ note: "This page's link " + why + ", so every figure shows its own settings." });
    if (hash.length > SHARE_MAX_CHARS) return unusable("is too long to be a link to a figure");
    const query = new URLSearchParams(hash.slice(1));
    const ids = query.getAll("w");
    if (ids.length !== 1) return unusable("names several figures");
    const inst = instances.find((i) => i.el.id === ids[0]);
    if (!inst || !inst.spec) return unusable("names a figure this page does not have");
    const controls = {};
    for (const c of shareControls(inst.el)) controls[c.dataset.param] = c;
    const texts = {}, params = {};
    for (const [key, text] of query) {
      if (key === "w") continue;
      if (!Object.prototype.hasOwnProperty.call(controls, key) || key in texts) {
        return unusable("sets something the figure does not have");
      }
      texts[key] = text;
      params[key] = paramValue(controls[key], text);
    }
    return { inst, texts, params };
  }

  function shareNote(inst, text) {
    const status = inst.el.querySelector(".widget-share-status");
    if (status) status.textContent = text;
  }

  function pageNote(text) {
    let note = document.querySelector(".share-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "share-note";
      note.setAttribute("role", "status");
      const main = document.querySelector("main") || document.body;
      main.insertBefore(note, main.firstChild);
    }
    note.textContent = text;
  }

  // Opens the link in location.hash, if it is one: scrolls to the figure and, once Python is live, asks
  // for its values; the controls show them once Python accepted them.
  function openShareLink() {
    const link = readShareLink(location.hash);
    if (!link) return;
    if (document.querySelector(".share-note")) pageNote("");   // a note about an earlier link
    if (link.note) { pageNote(link.note); return; }
    const inst = link.inst;
    inst.el.tabIndex = -1;
    inst.el.scrollIntoView({ block: "start" });
    inst.el.focus({ preventScroll: true });
    shareNote(inst, "Opening the settings of the link you followed…");
    inst.link = link;
    if (inst.el.dataset.state === "live") applyShareLink(inst);
  }

  function applyShareLink(inst) {
    const link = inst.link;
    inst.link = null;
    const params = Object.assign({}, inst.params, controlValues(inst.el), link.params);
    const answered = (event) => {
      if (event.detail.params !== params) {
        if (inst.latest === params || inst.sent === params) return;     // an earlier call answered: still queued
        inst.el.removeEventListener("glassbox:drawn", answered);        // the reader moved a control first
        shareNote(inst, "");
        return;
      }
      inst.el.removeEventListener("glassbox:drawn", answered);
      if (event.detail.error) {
        showError(inst, "");                // the figure kept its defaults; the message goes in the note
        shareNote(inst, "The link's settings were not used (" + event.detail.error + "). The figure shows its own.");
        return;
      }
      setControls(inst.el, link.texts);
      shareNote(inst, "Showing the settings of the link you followed.");
      // A control may not hold a value as the link gave it (a slider keeps to its range and steps, a line
      // of text drops line breaks): then the figure follows what the controls show.
      const shown = readParams(inst);
      if (JSON.stringify(shown) !== JSON.stringify(params)) update(inst, shown);
    };
    inst.el.addEventListener("glassbox:drawn", answered);
    update(inst, params);
  }

  async function copyShareLink(inst, box) {
    const link = shareLink(inst);
    const field = box.querySelector(".widget-share-field");
    if (link.length - link.indexOf("#") > SHARE_MAX_CHARS) {
      field.hidden = true;
      shareNote(inst, "The text is too long to share as a link (links hold about " +
        SHARE_MAX_CHARS.toLocaleString("en-US") + " characters).");
      return;
    }
    try {
      await navigator.clipboard.writeText(link);
      field.hidden = true;
      const said = inst.el.querySelector(".widget-share-status").textContent;
      shareNote(inst, said === "Link copied." ? "Link copied again." : "Link copied.");
    } catch (err) {
      // No Clipboard API (a page served over http:) or no permission: the link, selected, to copy by hand.
      const input = field.querySelector("input");
      input.value = link;
      field.hidden = false;
      input.focus();
      input.select();
      shareNote(inst, "Copy the selected link (Ctrl+C, or ⌘C on a Mac).");
    }
  }

  function mountShare(inst) {
    const box = document.createElement("div");
    box.className = "widget-share";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "widget-share-button";
    button.textContent = "Copy link";
    button.setAttribute("aria-label", "Copy link to this figure, as you set it");
    const status = document.createElement("span");
    status.className = "widget-share-status";
    status.setAttribute("role", "status");
    const field = document.createElement("label");
    field.className = "widget-share-field";
    field.hidden = true;
    field.append("Link to this figure ");
    const input = document.createElement("input");
    input.type = "text";
    input.readOnly = true;
    input.spellcheck = false;
    field.append(input);
    box.append(button, status, field);
    button.addEventListener("click", () => copyShareLink(inst, box));
    const after = inst.el.querySelector(".widget-status");
    if (after) after.after(box); else inst.el.append(box);
  }

  function widget(name, spec) {
    specs[name] = spec;
  }

  const api = { py, repl, compute, widget, instances, siteURL, restart, stuckAfterMs: 20000,
                models: { load: loadModel, cancel: cancelLoad, state: modelState } };
  Object.defineProperty(api, "ready", { get: whenReady, enumerable: true });
  // Whether Python has been started on this page (the console waits to be opened on a page without widgets).
  Object.defineProperty(api, "started", { get: () => started, enumerable: true });
  window.glassbox = api;

  // Offline reading: a service worker (sw.js at the site's root, written by the build; its code is
  // static/js/offline.js) keeps every file of this build, so after one visit to a chapter the site works
  // without the network. Registered once the page's Python is live or has failed (a first visit's
  // widgets do not wait for it), and only where Python was started: the contents page alone downloads
  // no Python, so it keeps nothing either. Never for a page opened from a file or where the browser has
  // no service workers (nothing needs it). updateViaCache "none": a new build's sw.js and code are seen
  // at once, not after the HTTP cache's max-age. The footer says so once a version is kept.
  function keepOffline() {
    if (location.protocol === "file:" || !("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(() => {
      const note = document.querySelector(".offline-note");
      if (note) note.hidden = false;
    });
    if (!started) return;
    ready.catch(() => {})
      .then(() => navigator.serviceWorker.register(siteURL("sw.js"), { updateViaCache: "none" }))
      .catch(() => {});
  }

  // A display formula wider than the screen scrolls sideways: keyboard users must be able to reach it.
  function focusableWhenScrolling() {
    document.querySelectorAll(".math-display").forEach((el) => {
      const scrolls = el.scrollWidth > el.clientWidth + 1;
      if (scrolls && !el.hasAttribute("tabindex")) {
        el.tabIndex = 0;
        el.setAttribute("role", "region");
        el.setAttribute("aria-label", "Formula (scrolls sideways)");
      } else if (!scrolls && el.hasAttribute("tabindex")) {
        el.removeAttribute("tabindex");
        el.removeAttribute("role");
        el.removeAttribute("aria-label");
      }
    });
  }

  // This script runs in the page's head, before the body is parsed: on a page with widgets, Python starts
  // downloading while the browser still reads the chapter; widgets mount once the document is parsed and
  // every widget script (deferred, after this one) has registered. A page without widgets (the contents)
  // starts Python only when the console is opened or code asks for it: a reader who only looks at the
  // contents does not download Python.
  if (document.documentElement.dataset.widgets) startWorker();
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("figure.widget[data-widget]").forEach(mountWidget);
    focusableWhenScrolling();
    openShareLink();
    window.addEventListener("load", keepOffline);
    window.addEventListener("hashchange", openShareLink);   // a link to this page pasted into its address bar
    let pendingResize = null;
    window.addEventListener("resize", () => {
      cancelAnimationFrame(pendingResize);
      pendingResize = requestAnimationFrame(focusableWhenScrolling);
    });
  });
})();

// Draw every widget's pre-rendered figure with the widget's own JavaScript, the code that draws it live.
//
// stdin: {"tokens": path of site/static/js/tokens.js, "scripts": {widget name: path of NAME.js},
//         "figures": [html of one <figure class="widget">, as _widget.html renders it with the controls]}
// stdout: [the drawn figure's .widget-body innerHTML, one per figure]
//
// Each figure is put in a jsdom document, its state (params and CPython's result) is read from its
// <script class="widget-data"> as the page's runtime reads it, and the widget's draw(el, result, params)
// fills it in. So the figure a reader without JavaScript sees and the live one come from one renderer.
// mount() is not called: it wires up listeners and live-only buttons, which a static page has no use for.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(path.join(process.cwd(), "node_modules", "_"));
const { JSDOM } = require("jsdom");

const job = JSON.parse(fs.readFileSync(0, "utf8"));
const dom = new JSDOM("<!doctype html><html lang=\"en\"><head></head><body></body></html>",
  { runScripts: "outside-only", pretendToBeVisual: true });
const w = dom.window;
const specs = {};
w.glassbox = {
  widget: (name, spec) => { specs[name] = spec; },
  models: { state: () => ({ state: "absent" }) },  // no real model is loaded while the site is built
};
w.eval(fs.readFileSync(job.tokens, "utf8"));
for (const file of Object.values(job.scripts)) {
  w.eval(fs.readFileSync(file, "utf8") + "\n//# sourceURL=" + file);
}

const out = [];
for (const html of job.figures) {
  const holder = w.document.createElement("div");
  holder.innerHTML = html;
  w.document.body.replaceChildren(holder);  // in the document: a draw may look things up by id
  const el = holder.querySelector("figure.widget");
  const name = el.dataset.widget;
  if (!specs[name]) throw new Error(`widgets/${name}/${name}.js registered no widget called ${name}`);
  const state = JSON.parse(el.querySelector("script.widget-data").textContent);
  try {
    specs[name].draw(el, state.result, state.params);
  } catch (e) {
    throw new Error(`${name}.js draw() failed on figure ${el.id}: ${e.stack}`, { cause: e });
  }
  out.push(el.querySelector(".widget-body").innerHTML);
}
process.stdout.write(JSON.stringify(out));

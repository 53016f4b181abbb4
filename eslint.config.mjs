// ESLint for the site's JavaScript (npx eslint .; `make test` runs it, tests/build/test_lint.py).
// Widgets' views only place what Python computed: no arithmetic, no rounding or number formatting, no
// innerHTML. The few places that must compute a pixel position say why, on the line, with
// `// eslint-disable-next-line no-restricted-syntax -- layout: ...`.
import js from "@eslint/js";
import globals from "globals";

const NO_MATH_IN_VIEWS = [
  { selector: "BinaryExpression[operator=/^([-*/%]|\\*\\*)$/]",
    message: "Arithmetic belongs in the widget's Python: make it a field of compute's result." },
  { selector: "UnaryExpression[operator='-'][argument.type!='Literal']",
    message: "Arithmetic belongs in the widget's Python: make it a field of compute's result." },
  { selector: "CallExpression[callee.object.name='Math']",
    message: "Math (rounding, scaling, min/max) belongs in the widget's Python." },
  { selector: "CallExpression[callee.property.name=/^(toFixed|toPrecision|toExponential|toLocaleString)$/]",
    message: "Numbers arrive formatted: Python's result holds the text a reader sees." },
  { selector: "MemberExpression[property.name=/^(innerHTML|outerHTML)$/]",
    message: "Build DOM with glassboxTokens.el/svg and textContent; never parse HTML." },
  { selector: "CallExpression[callee.property.name='insertAdjacentHTML']",
    message: "Build DOM with glassboxTokens.el/svg and textContent; never parse HTML." },
];


export default [
  { ignores: ["node_modules/", "_site/", "_build/", ".venv/", ".venv-train/"] },
  js.configs.recommended,
  {
    files: ["widgets/**/*.js", "site/static/js/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "script", globals: { ...globals.browser, glassbox: "readonly" } },
  },
  {
    files: ["site/static/js/worker.js"],
    languageOptions: { globals: { ...globals.worker, loadPyodide: "readonly" } },
  },
  {  // imported by sw.js, which the build writes with self.GLASSBOX_OFFLINE (this build's version)
    files: ["site/static/js/offline.js"],
    languageOptions: { globals: { ...globals.serviceworker } },
  },
  {  // the benchmark's page scripts: Playwright runs them in a page (most are one function page.evaluate calls)
    files: ["benchmarks/assets/*.js"],
    languageOptions: {
      ecmaVersion: 2022, sourceType: "script", globals: { ...globals.browser, glassbox: "readonly", Wllama: "readonly" },
    },
  },
  {
    files: ["benchmarks/assets/bench-floor-worker.js"],
    languageOptions: { globals: { ...globals.worker, loadPyodide: "readonly" } },
  },
  {  // stands in for base64-js, which js-tiktoken imports as an ES module
    files: ["benchmarks/assets/base64.js"],
    languageOptions: { sourceType: "module" },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { globals: globals.node },
  },
  {  // a caught error we do not need to name is still written `catch (e)`
    rules: { "no-unused-vars": ["error", { caughtErrors: "none" }] },
  },
  {
    files: ["widgets/**/*.js"],
    rules: { "no-restricted-syntax": ["error", ...NO_MATH_IN_VIEWS] },
  },
];

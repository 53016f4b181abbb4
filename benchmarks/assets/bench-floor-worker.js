// The floor page's worker does only what any Pyodide page must: load Pyodide and numpy, then say so.
importScripts("pyodide/pyodide.js");
loadPyodide({indexURL: new URL("pyodide/", self.location).href}).then(async (py) => {
  await py.loadPackage("numpy", {messageCallback: () => {}});
  py.runPython("import numpy");
  postMessage("ready");
});

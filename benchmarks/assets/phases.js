// Where a Glassbox page's start-up time goes, in ms after navigation: the worker's own phase timings
// (glassbox.timing, ms after its init began at `since`, epoch ms) moved onto the page's clock.
() => {
    const t = window.glassbox.timing, at = t.since - performance.timeOrigin;
    return { worker: performance.getEntriesByName('glassbox:worker')[0].startTime, init: at,
             pyodide: at + t.pyodide, packages: at + t.packages, runtime: at + t.runtime,
             live: performance.getEntriesByName('glassbox:ready')[0].startTime };
}

// After a visit: first contentful paint, the first live widget (set by first_live.js) and how many
// widgets the page has.
() => {
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { fcp: fcp ? fcp.startTime : null, live: window.__firstLive ?? null,
             widgets: document.querySelectorAll('figure.widget').length };
}

// After a first visit in the offline section: resolves once the page's service worker is active (its
// precache complete) and controls the page.
() => navigator.serviceWorker.ready.then((r) => new Promise((resolve) => {
    const poll = setInterval(() => {
        if (r.active.state === 'activated' && navigator.serviceWorker.controller) { clearInterval(poll); resolve(true); }
    }, 50);
}))

// Init script of every visit in the pages section: window.__firstLive is the moment (ms after navigation)
// the first widget goes live, or DOMContentLoaded on a page without widgets.
(() => {
    const mark = () => {
        if (window.__firstLive === undefined && document.querySelector('figure.widget[data-state=live]'))
            window.__firstLive = performance.now();
    };
    new MutationObserver(mark).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
    document.addEventListener('DOMContentLoaded', () => {
        if (!document.querySelector('figure.widget')) window.__firstLive = performance.now();
    });
})()

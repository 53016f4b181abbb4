// page.evaluate(TYPING_LATENCY) on the tokenizer page: from each keydown in tokenizer_compare's text field
// to the figure's next glassbox:drawn event, pushed to window.__lat (ms).
() => {
    window.__lat = [];
    const fig = document.querySelector('figure[data-widget=tokenizer_compare]');
    fig.addEventListener('glassbox:drawn', () => {
        const t0 = window.__keyAt; if (t0 !== undefined) { window.__lat.push(performance.now() - t0); window.__keyAt = undefined; }
    });
    fig.querySelector('[data-param=text]').addEventListener('keydown', () => { window.__keyAt = performance.now(); }, true);
}

// page.evaluate(DRAG, [widget name, index of the control among the figure's [data-param], values]):
// set each value in turn, fire input and change, and time until the figure's glassbox:drawn event;
// -> the ms of each move.
async ([name, key, values]) => {
    const fig = document.querySelector(`figure[data-widget="${name}"]`);
    const control = fig.querySelectorAll('[data-param]')[key];
    const out = [];
    for (const v of values) {
        const drawn = new Promise((resolve) => fig.addEventListener('glassbox:drawn', resolve, { once: true }));
        const t0 = performance.now();
        if (control.type === 'checkbox') control.checked = Boolean(v); else control.value = String(v);
        control.dispatchEvent(new Event('input', { bubbles: true }));
        control.dispatchEvent(new Event('change', { bubbles: true }));
        await drawn;
        out.push(performance.now() - t0);
        await new Promise((r) => requestAnimationFrame(() => r()));
    }
    return out;
}

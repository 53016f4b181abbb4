// page.evaluate(JS_TIKTOKEN_ENCODE, text) on bench-js-tiktoken/index.html: js-tiktoken's o200k_base on the
// page's main thread, two passes; -> [first s, second s, ids].
async (text) => {
    const { Tiktoken } = await import('./lite.js');
    const ranks = (await import('./o200k_base.js')).default;
    const enc = new Tiktoken(ranks);
    let t = performance.now(); const ids = enc.encode(text); const first = performance.now() - t;
    t = performance.now(); enc.encode(text); const again = performance.now() - t;
    return [first / 1000, again / 1000, Array.from(ids)];
}

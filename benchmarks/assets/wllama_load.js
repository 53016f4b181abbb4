// page.evaluate(WLLAMA_LOAD, [GGUF file, chat prompt text, n_ctx]) on wllama.html: fetch the file, load
// it into llama.cpp (one thread), sample the first answer token; ms from the call. Keeps window.wllama.
async ([file, prompt, nCtx]) => {
    const t0 = performance.now();
    const w = new Wllama({ default: new URL('./wllama.wasm', location.href).href }, { suppressNativeLog: true });
    const blob = await (await fetch(file)).blob();
    const fetched = performance.now() - t0;
    // flash_attn off: wllama 3.13.0's default (auto: on) gives SmolLM2 wrong tokens here (the chat prompt's
    // greedy answer starts "L'Étoile" instead of the reference's "The capital of France is Paris.")
    await w.loadModel([blob], { n_threads: 1, n_gpu_layers: 0, n_ctx: nCtx, n_parallel: 1, flash_attn: false });
    const loaded = performance.now() - t0;
    const first = await w.createCompletion({ prompt, max_tokens: 1, temperature: 0, cache_prompt: false });
    window.wllama = w;
    return { fetched, loaded, total: performance.now() - t0, threads: w.getNumThreads(),
             multithread: w.isMultithread(), first: first.choices[0].text, promptTokens: first.usage.prompt_tokens };
}

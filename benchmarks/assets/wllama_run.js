// page.evaluate(WLLAMA_RUN, [prompt text, max tokens]): one greedy completion; llama.cpp's own timings.
async ([prompt, maxTokens]) => {
    const t0 = performance.now();
    const out = await window.wllama.createCompletion({ prompt, max_tokens: maxTokens, temperature: 0,
                                                      cache_prompt: false, ignore_eos: true });
    return { wall: performance.now() - t0, timings: out.timings, text: out.choices[0].text };
}

/* Checkpoint samples: redraws the snapshot's header, the prompt and sampled tokens, and the loss on the
   prompt at every checkpoint from compute's result (the build draws the pre-rendered figure with this code too). */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const SLIDERS = { n_tokens: 0, temperature: 2 };  // param -> digits shown

  function pct(p) {
    if (p === 0) return "0%";
    if (p < 0.001) return "<0.1%";
    return (100 * p).toFixed(1) + "%";
  }
  const oneDecimal = (x) => x.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  function read(el) {
    const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
    return {
      checkpoint: Number(value("checkpoint")),
      prompt: value("prompt"),
      n_tokens: Number(value("n_tokens")),
      temperature: Number(value("temperature")),
      seed: value("seed") === "" ? 0 : Number(value("seed")),
    };
  }

  // The checkpoint slider moves an index; its label shows that checkpoint's step (listed in data-steps).
  function showValues(el) {
    for (const [key, digits] of Object.entries(SLIDERS)) {
      const input = el.querySelector('[data-param="' + key + '"]');
      input.nextElementSibling.textContent = Number(input.value).toFixed(digits);
    }
    const ckpt = el.querySelector('[data-param="checkpoint"]');
    const steps = ckpt.dataset.steps.split(",");
    const step = steps[Math.min(steps.length - 1, Math.max(0, Number(ckpt.value)))];
    ckpt.nextElementSibling.textContent = "step " + T.int(step);
    ckpt.setAttribute("aria-valuetext", "step " + step);
  }

  function appendToken(parent, c, cls) {
    const node = T.el("span", cls);
    node.appendChild(T.appendSegs(T.el("span", "tok-s"), c.segs));
    parent.appendChild(node);
    if (c.nl) parent.appendChild(T.el("span", "tok-br"));
    return node;
  }

  function losses(r) {
    const ol = T.el("ol", "cs-losses");
    for (const row of r.losses) {
      const li = T.el("li", "cs-row" + (row.selected ? " cs-row-on" : ""));
      const track = T.el("span", "cs-track");
      const bar = T.el("span", "cs-bar");
      bar.style.width = (100 * row.loss / r.max_loss).toFixed(1) + "%";
      track.appendChild(bar);
      li.append(T.el("span", "cs-step", "step " + T.int(row.step)), track,
        T.el("span", "cs-num", row.loss.toFixed(2) + " nats, perplexity " + oneDecimal(row.perplexity)
          + (row.selected ? " ◀ shown" : "")));
      ol.appendChild(li);
    }
    return ol;
  }

  glassbox.widget("checkpoint_samples", {
    read,

    mount(el) {
      el.querySelector(".cs-controls").addEventListener("input", () => showValues(el));
    },

    draw(el, r) {
      showValues(el);
      const k = r.checkpoint;
      const frag = document.createDocumentFragment();
      const head = T.el("p", "cs-head");
      head.append("Step ", T.el("strong", null, T.int(k.step)), " of " + T.int(r.last_step) + " (" + T.int(k.tokens)
        + " tokens seen; weights stored as " + k.format + (k.final ? ", the finished model" : "")
        + "). Validation loss when saved: ", T.el("strong", null, k.val_loss.toFixed(3)), " nats.");
      frag.appendChild(head);
      if (r.note) frag.appendChild(T.el("p", "tok-note", r.note));

      const text = T.el("div", "tok-chips cs-text");
      text.setAttribute("role", "group");
      text.setAttribute("aria-label", "Prompt and the tokens sampled at step " + k.step);
      if (r.n_prompt_tokens > r.prompt_tokens.length) text.appendChild(T.el("span", "cs-more", "…"));
      for (const c of r.prompt_tokens) appendToken(text, c, "tok cs-prompt-tok");
      r.tokens.forEach((c, i) => {
        appendToken(text, c, "tok tok-c" + (i % T.N_COLOURS) + " tok-new cs-new").title = "probability " + pct(c.p) + " when drawn";
      });
      frag.appendChild(text);

      const n = r.tokens.length;
      frag.appendChild(T.el("p", "cs-sub", "Dashed: your prompt. Bold borders: the " + n + " token" + (n === 1 ? "" : "s")
        + " this checkpoint " + (r.greedy ? "picked greedily (temperature 0)" : "sampled with seed " + r.params.seed) + "."));
      if (r.losses.length) {
        const sub = T.el("p", "cs-sub");
        sub.append(T.el("strong", null, "Loss on your prompt"), " (" + r.n_scored + " prediction" + (r.n_scored === 1 ? "" : "s")
          + ": each prompt token from the second on, predicted from the ones before it), at every checkpoint:");
        frag.append(sub, losses(r));
      }
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();

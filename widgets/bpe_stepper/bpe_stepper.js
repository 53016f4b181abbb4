/* BPE merge trace: the reader steps through the merges; compute returns the parts at `step`.
   The build draws the pre-rendered figure with this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function mini(segs, colour, isNew) {
    const frag = document.createDocumentFragment();
    T.appendChip(frag, { segs, id: 0, new: isNew }, colour, false);
    return frag;
  }

  function mergeLine(parent, m, isNew) {
    parent.append(mini(m.left, 0), " + ", mini(m.right, 1), " → ", mini(m.merged, 2, isNew));
  }

  function syncControls(el, result) {
    const slider = el.querySelector('[data-param="step"]');
    slider.max = String(result.n_steps);
    slider.value = String(result.step);
    slider.setAttribute("aria-valuetext", "step " + result.step + " of " + result.n_steps);
    const at = { first: result.step <= 0, prev: result.step <= 0,
                 next: result.step >= result.n_steps, last: result.step >= result.n_steps };
    for (const btn of el.querySelectorAll("[data-go]")) btn.disabled = at[btn.dataset.go];
  }

  glassbox.widget("bpe_stepper", {
    mount(el, api) {
      const slider = el.querySelector('[data-param="step"]');
      // A new text or encoding starts again from the single bytes. Capture phase: this runs before
      // the runtime reads the params (it listens in the bubble phase).
      const restart = (event) => {
        const p = event.target.dataset && event.target.dataset.param;
        if (p === "text" || p === "encoding") slider.value = "0";
      };
      el.addEventListener("input", restart, true);
      el.addEventListener("change", restart, true);
      el.querySelector(".bs-stepper").addEventListener("click", (event) => {
        const btn = event.target.closest("[data-go]");
        if (!btn) return;
        // stepUp and stepDown stay within the slider's min and max
        const go = { first: () => { slider.value = slider.min; }, prev: () => slider.stepDown(),
                     next: () => slider.stepUp(), last: () => { slider.value = slider.max; } };
        go[btn.dataset.go]();
        slider.dispatchEvent(new Event("input", { bubbles: true }));
      });
      if (api.result) syncControls(el, api.result);
    },

    draw(el, result) {
      syncControls(el, result);
      const out = el.querySelector(".widget-output");
      const frag = T.figure(result.note);

      const count = T.el("p", "bs-count");
      const plural = result.n_pretokens === 1 ? "" : "s";
      count.append(T.el("strong", null, "Step " + result.step + " of " + result.n_steps),
        " · " + result.n_bytes + " bytes in " + result.n_pretokens + " pre-token" + plural);
      frag.appendChild(count);

      const now = T.el("p", "bs-now");
      if (result.current) {
        now.append("Merged ");
        mergeLine(now, result.current, true);
        now.append(" at rank ", T.el("strong", null, result.current.rank_text),
          ": the lowest-ranked pair left in this pre-token. The rank is also the new token's id.");
      } else if (result.n_bytes === 0) {
        now.textContent = "Type a word above to watch it being merged.";
      } else {
        now.textContent = "Start: every byte is its own part. "
          + "Each step merges the adjacent pair with the lowest rank in the vocabulary.";
      }
      frag.appendChild(now);

      const groups = T.el("div", "bs-groups");
      result.groups.forEach((g) => {
        const box = T.el("div", "bs-group" + (g.active ? " bs-active" : ""));
        box.appendChild(T.chips(g.chips, true, g.label));
        groups.appendChild(box);
      });
      frag.appendChild(groups);

      if (result.step === result.n_steps && result.n_bytes) {
        frag.appendChild(T.el("p", "bs-done", "No adjacent pair is in the vocabulary any more: "
          + "the parts are the tokens, " + result.ids.length + " in all."));
      }
      if (result.merges.length) {
        const list = T.el("ol", "bs-merges");
        list.tabIndex = 0;
        list.setAttribute("aria-label", "All merges, in the order they are applied");
        let current = null;
        for (const m of result.merges) {
          const li = T.el("li");
          if (m.step === result.step) {
            li.className = "bs-current";
            li.setAttribute("aria-current", "step");
            current = li;
          }
          mergeLine(li, m, false);
          li.append(" ", T.el("span", "bs-rank", "rank " + m.rank_text));
          list.appendChild(li);
        }
        frag.appendChild(list);
        out.replaceChildren(frag);
        // Keep the current merge in view inside the list, without scrolling the page.
        // eslint-disable-next-line no-restricted-syntax -- layout: centre it from the list's measured size (scrollTop clamps at 0)
        if (current) list.scrollTop = current.offsetTop - list.clientHeight / 2;
        return;
      }
      out.replaceChildren(frag);
    },
  });
})();

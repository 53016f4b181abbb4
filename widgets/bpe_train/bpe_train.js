/* Train your own BPE: redraws the learned merges and the test sentence's tokens from compute's result.
   The build draws the pre-rendered figure with this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function mini(segs, colour) {
    const frag = document.createDocumentFragment();
    T.appendChip(frag, { segs, id: 0 }, colour, false);
    return frag;
  }

  function mergeRow(m) {
    const tr = T.el("tr");
    const pair = T.el("td");
    pair.append(mini(m.left, 0), " + ", mini(m.right, 1));
    const merged = T.el("td");
    merged.append(mini(m.merged, 2));
    tr.append(T.el("td", null, m.rank), pair, merged, T.el("td", null, m.count_text));
    return tr;
  }

  function tokenRow(label, t, bytesText) {
    const box = T.el("div", "bt-result");
    const head = T.el("p", "bt-result-head");
    head.append(T.el("strong", null, label),
      ": " + t.n_tokens_text + " tokens for " + bytesText + " bytes, ",
      T.el("strong", null, t.bytes_per_token_text), " bytes per token");
    box.appendChild(head);
    box.appendChild(t.tokens.length ? T.chips(t.tokens, true, label + " tokens")
      : T.el("p", "tok-empty", "Type a test sentence above."));
    return box;
  }

  glassbox.widget("bpe_train", {
    mount(el) {
      // The slider's number follows the thumb at once; the merges follow when compute answers.
      const slider = el.querySelector('[data-param="vocab_size"]');
      const shown = el.querySelector(".bt-vocab-value");
      slider.addEventListener("input", () => { shown.textContent = slider.value; });
    },

    draw(el, result) {
      el.querySelector(".bt-vocab-value").textContent = String(result.requested_vocab_size);
      const out = el.querySelector(".widget-output");
      const frag = T.figure(result.note);
      const summary = T.el("p", "bt-summary");
      const t = result.texts;
      summary.append("Learned ", T.el("strong", null, t.n_merges), " merges from "
        + t.n_train_chars + " characters (" + t.n_train_bytes + " bytes): "
        + "a vocabulary of ",
        T.el("strong", null, t.vocab_size), " tokens, 256 single bytes plus one per merge.");
      frag.appendChild(summary);

      if (result.n_merges) {
        const wrap = T.region("bt-table-wrap", "Learned merges");
        const table = T.el("table", "bt-merges");
        table.appendChild(T.thead(["Rank", "Pair", "New token", "Count"]));
        const body = T.el("tbody");
        for (const m of result.merges_head) body.appendChild(mergeRow(m));
        if (result.n_skipped) {
          const gap = T.el("tr", "bt-gap");
          const td = T.el("td", null, "… " + t.n_skipped + " more merges …");
          td.colSpan = 4;
          gap.appendChild(td);
          body.appendChild(gap);
        }
        for (const m of result.merges_tail) body.appendChild(mergeRow(m));
        table.appendChild(body);
        wrap.appendChild(table);
        frag.appendChild(wrap);
      }
      frag.appendChild(tokenRow("Your tokenizer", result.custom, t.n_test_bytes));
      frag.appendChild(tokenRow(result.reference.name, result.reference, t.n_test_bytes));
      out.replaceChildren(frag);
    },
  });
})();

/* LoRA parameters: redraws the full fine-tuning vs LoRA table from compute's result. The build draws the
   pre-rendered figure with this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function bar(width) {
    return T.bar("lp-bar", width);
  }

  function row(r) {
    const mem = document.createDocumentFragment();
    mem.append(bar(r.width), r.memory);
    return T.headedRow(r.head, [r.trained, mem]);
  }

  glassbox.widget("lora_params", {
    draw(el, result) {
      const p = result.params;
      T.showReadouts(el, { rank: p.rank });
      const frag = document.createDocumentFragment();
      const table = T.el("table", "lp-table");
      const body = T.el("tbody");
      for (const r of result.rows) body.appendChild(row(r));
      table.append(T.thead(["Method", "Trained parameters", "Training memory (weights, gradients, Adam)"]), body);
      frag.appendChild(table);
      const detail = T.el("p", "lp-detail", result.name + ", " + result.n_layer + " layers, LoRA on " + result.targets_label + ". Per layer: ");
      for (const m of result.per_layer) detail.append(T.el("code", null, m.name), m.text);
      detail.append(" The trained update saved in fp16 is " + result.adapter_text + ".");
      frag.appendChild(detail);
      const source = T.el("p", "lp-source", "Shape from " + result.source);
      result.links.forEach((l, i) => {
        const a = T.el("a", null, l.label);
        a.href = l.url;
        source.append(i === 0 ? " (" : ", ", a);
      });
      source.append((result.links.length ? ")" : "") + ". Memory: 16 bytes per trained parameter, "
        + "2 per frozen fp16 weight (ZeRO, arXiv:1910.02054); activations not included.");
      frag.appendChild(source);
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();

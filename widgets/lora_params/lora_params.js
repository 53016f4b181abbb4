/* LoRA parameters: redraws the full fine-tuning vs LoRA table from compute's result. The build draws the
   pre-rendered figure with this code too. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  function gb(n) {
    const x = n / 1e9;
    if (x >= 100) return T.int(Math.round(x)) + " GB";
    return (x >= 10 ? x.toFixed(1) : x.toFixed(2)) + " GB";
  }

  function bar(frac) {
    const box = T.el("span", "lp-bar");
    box.setAttribute("aria-hidden", "true");
    const fill = T.el("span");
    fill.style.width = (100 * frac).toFixed(1) + "%";
    box.appendChild(fill);
    return box;
  }

  function row(body, head, trained, frac, bytes) {
    const tr = T.el("tr");
    const th = T.el("th", null, head);
    th.scope = "row";
    const mem = T.el("td");
    mem.append(bar(frac), gb(bytes));
    tr.append(th, T.el("td", null, trained), mem);
    body.appendChild(tr);
  }

  glassbox.widget("lora_params", {
    read(el) {
      const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
      return { model: value("model"), rank: Number(value("rank")), targets: value("targets") };
    },

    mount(el) {
      const r = el.querySelector('[data-param="rank"]');
      r.addEventListener("input", () => { r.nextElementSibling.textContent = r.value; });
    },

    draw(el, result) {
      const p = result.params;
      el.querySelector('[data-param="rank"]').nextElementSibling.textContent = String(p.rank);
      const frag = document.createDocumentFragment();
      const table = T.el("table", "lp-table");
      const head = T.el("tr");
      for (const h of ["Method", "Trained parameters", "Training memory (weights, gradients, Adam)"]) {
        const th = T.el("th", null, h);
        th.scope = "col";
        head.appendChild(th);
      }
      const thead = T.el("thead");
      thead.appendChild(head);
      const body = T.el("tbody");
      row(body, "Full fine-tuning", T.int(result.total) + " (100%)", 1, result.full_bytes);
      row(body, "LoRA, rank " + p.rank, T.int(result.lora) + " (" + (100 * result.fraction).toFixed(3) + "%)",
        result.lora_bar, result.lora_bytes);
      table.append(thead, body);
      frag.appendChild(table);
      const detail = T.el("p", "lp-detail", result.name + ", " + result.n_layer + " layers, LoRA on " + result.targets_label + ". Per layer: ");
      result.matrices.forEach((m, i) => {
        detail.append(T.el("code", null, m.name), " " + m.shape[0] + " × " + m.shape[1] + " gets " + T.int(m.lora)
          + (i < result.matrices.length - 1 ? "; " : "."));
      });
      detail.append(" The trained update saved in fp16 is " + (result.adapter_bytes / 1e6).toFixed(1) + " MB.");
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

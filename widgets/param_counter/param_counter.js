/* Parameter counter: redraws the table of parts from compute's result (the build draws the pre-rendered figure
   with this code too). Typing in a custom box switches the menu to "Custom" before the widget reads it. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const SHAPE = ["d_model", "n_layer", "n_head", "n_kv_head", "d_ff", "n_vocab"];

  function big(n) {
    if (n >= 1e9) return (n / 1e9).toFixed(2) + " billion";
    if (n >= 1e6) return (n / 1e6).toFixed(2) + " million";
    return T.int(n);
  }
  function pct(x) {
    if (x === 0) return "0%";
    if (x < 0.001) return "<0.1%";
    return (100 * x).toFixed(1) + "%";
  }
  function th(text, scope) {
    const node = T.el("th", null, text);
    node.scope = scope;
    return node;
  }

  glassbox.widget("param_counter", {
    read(el) {
      const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
      const params = { config: value("config"), tied: el.querySelector('[data-param="tied"]').checked };
      for (const key of SHAPE) params[key] = value(key) === "" ? "" : Number(value(key));
      return params;
    },

    mount(el) {
      // Capture phase: runs before the runtime's own listener reads the controls.
      const pick = (event) => {
        const key = event.target.dataset && event.target.dataset.param;
        if (key && key !== "config") el.querySelector('[data-param="config"]').value = "custom";
      };
      el.addEventListener("input", pick, true);
      el.addEventListener("change", pick, true);
    },

    draw(el, result) {
      const s = result.shape;
      const frag = document.createDocumentFragment();
      if (result.note) frag.appendChild(T.el("p", "tok-note", result.note));
      const head = T.el("p", "pc-head");
      head.append(T.el("strong", null, result.name), ": ", T.el("strong", null, T.int(result.total)),
        " parameters (" + big(result.total) + "). d_model " + T.int(s.d_model) + ", n_layer " + T.int(s.n_layer)
        + ", n_head " + T.int(s.n_head) + ", n_kv_head " + T.int(s.n_kv_head) + ", d_head " + T.int(s.d_head)
        + ", d_ff " + T.int(s.d_ff) + ", n_vocab " + T.int(s.n_vocab) + "; " + result.kind + ".");
      frag.appendChild(head);

      const table = T.el("table", "pc-table");
      const hr = T.el("tr");
      for (const h of ["part (how it is counted)", "per layer", "all", "share"]) hr.appendChild(th(h, "col"));
      table.appendChild(T.el("thead")).appendChild(hr);
      const body = T.el("tbody");
      for (const part of result.parts) {
        const tr = T.el("tr");
        const share = T.el("td", "pc-share");
        const bar = T.el("span", "pc-bar");
        bar.setAttribute("aria-hidden", "true");
        bar.appendChild(T.el("span")).style.width = (100 * part.share).toFixed(1) + "%";
        share.append(bar, pct(part.share));
        const name = th(part.label, "row");
        name.appendChild(T.el("span", "pc-formula", part.formula));
        tr.append(name,
          T.el("td", null, part.per_layer === null ? "–" : T.int(part.per_layer)), T.el("td", null, T.int(part.count)), share);
        body.appendChild(tr);
      }
      table.appendChild(body);
      const foot = T.el("tr");
      const total = T.el("td");
      total.appendChild(T.el("strong", null, T.int(result.total)));
      foot.append(th("total", "row"), T.el("td", null, T.int(result.per_layer)), total,
        T.el("td", null, "100%"));
      table.appendChild(T.el("tfoot")).appendChild(foot);
      const scroll = T.el("div", "pc-scroll");
      scroll.tabIndex = 0;
      scroll.setAttribute("role", "region");
      scroll.setAttribute("aria-label", "Parameters by part");
      scroll.appendChild(table);
      frag.appendChild(scroll);

      const gb = result.bytes_16 >= 1e8;
      frag.appendChild(T.el("p", "pc-foot", "One block (attention, FFN and its two norms) holds " + T.int(result.per_layer)
        + " parameters; the " + s.n_layer + " blocks together hold " + pct(result.layers_share)
        + " of the model. Stored at 16 bits per parameter (bf16), the weights take "
        + (gb ? (result.bytes_16 / 1e9).toFixed(2) + " GB." : (result.bytes_16 / 1e6).toFixed(1) + " MB.")));
      const source = T.el("p", "pc-source", "Source: " + result.source);
      result.links.forEach((l, i) => {
        source.append(i === 0 ? "; " : ", ");
        source.appendChild(T.el("span", "pc-link", l.url.replace("https://", "")));
      });
      source.append("." + (result.notes ? " Note: " + result.notes + "." : ""));
      frag.appendChild(source);
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();

/* RoPE frequencies: redraws the summary, the wavelength chart and the table from compute's result (the build draws
   the pre-rendered figure with this code too). Every position and count comes from Python. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const NAMES = { none: "No scaling", linear: "Position interpolation", ntk: "NTK-aware" };
  const big = (x) => Math.round(x).toLocaleString("en-US");
  const g = (x) => String(Number(x));

  const svg = window.glassboxTokens.svg;

  function marker(scheme, x, y, unseen) {
    const cls = "rf-pt rf-" + scheme + (unseen ? " rf-unseen" : "");
    if (scheme === "none") return svg("circle", { class: cls, cx: x, cy: y, r: 3 });
    if (scheme === "linear") return svg("rect", { class: cls, x: x - 3, y: y - 3, width: 6, height: 6 });
    return svg("path", { class: cls, d: "M" + x + " " + (y - 4) + "l4 4l-4 4l-4 -4z" });
  }

  function chart(r) {
    const c = r.chart, md = r.model;
    const box = svg("svg", { class: "rf-chart", viewBox: "0 0 " + c.width + " " + c.height, role: "img",
      "aria-label": "Wavelength in tokens of each of the " + r.n_pairs + " pairs, log scale, for no scaling, "
        + "position interpolation and NTK-aware scaling; lines at the trained context " + md.n_ctx
        + " and the new context " + r.n_ctx_new + ". Counts of pairs reaching unseen angles: "
        + r.schemes.map((s) => s.label + " " + s.n_unseen).join(", ") + "." });
    box.append(svg("line", { class: "rf-axis", x1: c.left, y1: c.bottom, x2: c.right, y2: c.bottom }),
      svg("line", { class: "rf-axis", x1: c.left, y1: c.top, x2: c.left, y2: c.bottom }));
    for (const t of c.y_ticks) box.appendChild(svg("text", { class: "rf-tick", x: c.left - 4, y: t.at + 3, "text-anchor": "end" }, t.label));
    for (const t of c.x_ticks) box.appendChild(svg("text", { class: "rf-tick", x: t.at, y: c.bottom + 12, "text-anchor": "middle" }, t.label));
    box.appendChild(svg("text", { class: "rf-tick", x: c.left + 4, y: c.top + 8 }, "tokens per turn"));
    box.appendChild(svg("text", { class: "rf-tick", x: (c.left + c.right) / 2, y: c.height - 2, "text-anchor": "middle" }, "pair i (fast → slow)"));
    c.lines.forEach((l, i) => box.append(
      svg("line", { class: "rf-ctx rf-ctx-" + i, x1: c.left, y1: l.at, x2: c.right, y2: l.at }),
      svg("text", { class: "rf-tick", x: c.left + 4, y: l.at - 3 }, l.label)));
    for (const s of c.series) for (const pt of s.points) box.appendChild(marker(s.scheme, pt.x, pt.y, pt.unseen));
    const wrap = T.el("div", "rf-chart-box");
    wrap.appendChild(box);
    return wrap;
  }

  function table(r) {
    const details = T.el("details", "rf-details");
    details.appendChild(T.el("summary", null, "Every pair's wavelength, in tokens"));
    const wrap = T.el("div", "rf-table-box");
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", "Wavelength of every pair");
    const t = T.el("table", "rf-table");
    const head = T.el("tr");
    for (const h of ["pair", "radians per token", "no scaling", "position interpolation", "NTK-aware"]) {
      const th = T.el("th", null, h);
      th.scope = "col";
      head.appendChild(th);
    }
    const thead = T.el("thead");
    thead.appendChild(head);
    const body = T.el("tbody");
    for (const row of r.rows) {
      const tr = T.el("tr");
      tr.append(T.el("td", null, row.pair), T.el("td", null, row.freq_text));
      for (const key of ["none", "linear", "ntk"]) {
        const td = T.el("td", null, row[key].text);
        if (row[key].unseen) td.append(" ", T.el("span", "rf-new", "new angles"));
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    t.append(thead, body);
    wrap.appendChild(t);
    details.appendChild(wrap);
    return details;
  }

  glassbox.widget("rope_frequencies", {
    read(el) {
      return { model: el.querySelector('[data-param="model"]').value,
        factor: Number(el.querySelector('[data-param="factor"]').value) };
    },

    mount(el) {
      const input = el.querySelector('[data-param="factor"]');
      input.addEventListener("input", () => { input.nextElementSibling.textContent = g(input.value) + "×"; });
    },

    draw(el, r) {
      const md = r.model, p = r.params;
      const input = el.querySelector('[data-param="factor"]');
      input.nextElementSibling.textContent = g(p.factor) + "×";
      const frag = document.createDocumentFragment();
      const intro = T.el("p", "rf-line", md.name + ": d_head " + md.d_head + ", so " + r.n_pairs + " pairs; RoPE base "
        + big(md.base) + "; trained context " + big(md.n_ctx) + " tokens. ");
      intro.append(T.el("strong", null, r.n_partial + " of " + r.n_pairs), " pairs turn less than once in "
        + big(md.n_ctx) + " tokens, so in training they only ever saw part of their circle.");
      const stretched = T.el("p", "rf-line", "Stretched to ");
      stretched.append(T.el("strong", null, big(r.n_ctx_new) + " tokens"), " (" + g(p.factor) + "×):");
      const list = T.el("ul", "rf-schemes");
      for (const s of r.schemes) {
        const li = T.el("li", "rf-scheme-" + s.key);
        let how = "";
        if (s.key === "linear") how = " (every frequency ÷ " + g(p.factor) + ")";
        if (s.key === "ntk") how = " (base " + big(md.base) + " → " + big(r.ntk_base) + ")";
        li.append(T.el("strong", null, NAMES[s.key]), how + ": " + s.n_unseen + " pair" + (s.n_unseen === 1 ? "" : "s")
          + " reach" + (s.n_unseen === 1 ? "es" : "") + " angles never seen in training"
          + (s.n_unseen ? ", up to " + s.worst.toFixed(2) + "× the largest one seen" : "")
          + ". Pair 0 turns " + s.fastest_step.toFixed(3) + " radians per token.");
        list.appendChild(li);
      }
      const legend = T.el("p", "rf-legend");
      [["none", "no scaling"], ["linear", "position interpolation"], ["ntk", "NTK-aware"]].forEach(([scheme, label], i) => {
        const mark = T.el("span", "rf-mark");
        const icon = svg("svg", { viewBox: "0 0 10 10", "aria-hidden": "true" });
        icon.appendChild(scheme === "ntk" ? svg("path", { class: "rf-pt rf-ntk", d: "M5 1l4 4l-4 4l-4 -4z" })
          : marker(scheme, 5, 5, false));
        if (scheme === "linear") icon.firstChild.setAttribute("x", 2), icon.firstChild.setAttribute("y", 2);
        mark.append(icon, " " + label);
        legend.append(i ? " " : "", mark);
      });
      legend.append(". Filled: the pair reaches angles never seen in training; hollow: it does not.");
      frag.append(intro, stretched, list, chart(r), legend, table(r));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();

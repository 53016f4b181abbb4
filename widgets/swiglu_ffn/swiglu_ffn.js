/* SwiGLU FFN: redraws the token chips, the four strips of d_ff values, the most active neurons and the norms from
   compute's result (the build draws the pre-rendered figure with this code too). No math here: every value,
   including the strips' scales, comes from llm_core via compute. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  const svg = window.glassboxTokens.svg;

  function tok(t, cls) {
    return T.token("tok sf-tok " + (cls || ""), t.segs);
  }

  function strip(s, result) {
    const box = T.el("div", "sf-strip sf-strip-" + s.key);
    const label = T.el("p", "sf-strip-label");
    label.append(T.el("strong", null, s.label), " ", T.el("span", "sf-shape", "[d_ff] = " + result.d_ff), " ",
      T.el("span", "sf-scale", "largest |value| " + s.max_text));
    const pic = svg("svg", { class: "sf-svg", viewBox: "0 0 " + result.d_ff + " 40", preserveAspectRatio: "none",
      role: "img", "aria-label": s.label + ": " + result.d_ff + " values, largest magnitude " + s.max_text });
    pic.appendChild(svg("line", { class: "sf-axis", x1: 0, y1: 20, x2: result.d_ff, y2: 20 }));
    // Bar ends arrive as float32 model numbers, compared with CPython's within REL_TOL: 2 decimals only here.
    // eslint-disable-next-line no-restricted-syntax -- layout: shortens SVG coordinates of a thousand bars
    const at = (y) => y.toFixed(2);
    pic.appendChild(svg("path", { class: "sf-bars", d: s.bars.map(([x, y]) => "M" + x + " 20V" + at(y)).join("") }));
    if (s.key === "hidden") {
      for (const n of result.neurons) {
        pic.appendChild(svg("circle", { class: "sf-mark", cx: n.mark[0], cy: at(n.mark[1]), r: 1.5 }));
      }
    }
    box.append(label, pic);
    return box;
  }

  function topTable(result, wid) {
    const cap = T.el("p", "sf-top-cap", "The " + result.neurons.length + " most active neurons (largest |hidden|): together "
      + result.texts.top_share + " of the sum of squared hidden values.");
    cap.id = wid + "-topcap";
    const table = T.el("table", "sf-top");
    table.setAttribute("aria-labelledby", cap.id);
    const head = T.el("tr");
    for (const h of ["neuron", "gate", "SiLU(gate)", "up", "hidden", "write-out size"]) {
      const th = T.el("th", null, h);
      th.scope = "col";
      head.appendChild(th);
    }
    table.appendChild(T.el("thead")).appendChild(head);
    const body = T.el("tbody");
    for (const n of result.neurons) {
      const tr = T.el("tr");
      const th = T.el("th", null, "#" + n.index);
      th.scope = "row";
      const [gate, silu, up, value, write] = n.texts;
      tr.append(th, T.el("td", null, gate), T.el("td", null, silu), T.el("td", null, up));
      tr.appendChild(T.el("td")).appendChild(T.el("strong", null, value));
      tr.appendChild(T.el("td", null, write));
      body.appendChild(tr);
    }
    table.appendChild(body);
    const scroll = T.el("div", "sf-scroll");
    scroll.tabIndex = 0;  // a scrollable region must be reachable by keyboard
    scroll.setAttribute("role", "region");
    scroll.setAttribute("aria-labelledby", cap.id);
    scroll.appendChild(table);
    const frag = document.createDocumentFragment();
    frag.append(cap, scroll);
    return frag;
  }

  function norms(result) {
    const box = T.el("div", "sf-norms");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Vector sizes (norms)");
    for (const b of result.norm_bars) {
      const row = T.el("div", "sf-norm");
      const bar = T.el("span", "sf-norm-box");
      bar.setAttribute("aria-hidden", "true");
      bar.appendChild(T.el("span", "sf-norm-bar " + b.cls)).style.width = b.width;
      row.append(T.el("span", "sf-norm-label", b.label), bar, T.el("span", "sf-norm-num", b.text));
      box.appendChild(row);
    }
    return box;
  }

  glassbox.widget("swiglu_ffn", {
    mount(el) {
      el.querySelector(".sf-controls").addEventListener("input", () => T.echo(el, ["layer", "position"]));
    },

    draw(el, result) {
      const pos = el.querySelector('[data-param="position"]');
      pos.max = String(result.max_position);  // the slider spans the prompt's tokens
      pos.value = String(result.params.position);
      T.echo(el, ["layer", "position"]);
      const wid = el.querySelector('[data-param="layer"]').id.replace(/-layer$/, "");
      const frag = T.figure(result.note);
      const chips = T.chipGroup("sf-chips", "Prompt tokens; the chosen one is marked");
      result.tokens.forEach((t, i) => {
        const chip = tok(t, t.chosen ? "sf-chosen" : "sf-other");
        chip.appendChild(T.el("span", "tok-id", i));
        chips.appendChild(chip);
      });
      frag.appendChild(chips);
      const where = T.el("p", "sf-where", "Layer " + result.params.layer + ", token " + result.token.position + " ");
      where.append(tok(result.token, "sf-chosen"), ". The FFN reads the residual stream after this layer's attention (norm "
        + result.texts.residual_norm + ") through RMSNorm: x, [d_model] = " + result.d_model + " numbers, norm "
        + result.texts.x_norm + ".");
      frag.appendChild(where);
      const strips = T.el("div", "sf-strips");
      for (const s of result.strips) strips.appendChild(strip(s, result));
      strips.appendChild(T.el("p", "sf-strip-foot", "Each thin bar is one of the " + result.d_ff + " hidden neurons, in order "
        + "(0 on the left); up is positive, down negative, each row scaled to its own largest value. " + result.n_gate_negative
        + " of the " + result.d_ff + " gates are negative, so SiLU nearly closes them; " + result.n_small
        + " hidden values are under a tenth of the largest."));
      frag.append(strips, topTable(result, wid), norms(result));
      frag.appendChild(T.el("p", "sf-summary", "The FFN's output, [d_model] = " + result.d_model + " numbers, has norm "
        + result.texts.out_norm + ": " + result.texts.ratio + " times the residual stream it is added to (cosine between them "
        + result.texts.cos + "). After the add the stream's norm is " + result.texts.new_norm + "."));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();

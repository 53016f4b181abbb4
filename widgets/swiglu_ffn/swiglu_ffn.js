/* SwiGLU FFN: redraws the token chips, the four strips of d_ff values, the most active neurons and the norms from
   compute's result (the build draws the pre-rendered figure with this code too). No math here: every value,
   including the strips' scales, comes from llm_core via compute. */
(function () {
  "use strict";
  const T = window.glassboxTokens;

  // A number with a true minus sign (U+2212), and "0.00" rather than "-0.00" (as swiglu_ffn.html's num).
  const num = (v, d) => T.minus(v.toFixed(d === undefined ? 2 : d));

  const svg = window.glassboxTokens.svg;

  function tok(t, cls) {
    const node = T.el("span", "tok sf-tok " + (cls || ""));
    node.appendChild(T.appendSegs(T.el("span", "tok-s"), t.segs));
    return node;
  }

  function strip(s, result) {
    const box = T.el("div", "sf-strip sf-strip-" + s.key);
    const label = T.el("p", "sf-strip-label");
    label.append(T.el("strong", null, s.label), " ", T.el("span", "sf-shape", "[d_ff] = " + result.d_ff), " ",
      T.el("span", "sf-scale", "largest |value| " + num(s.max)));
    const pic = svg("svg", { class: "sf-svg", viewBox: "0 0 " + result.d_ff + " 40", preserveAspectRatio: "none",
      role: "img", "aria-label": s.label + ": " + result.d_ff + " values, largest magnitude " + num(s.max) });
    pic.appendChild(svg("line", { class: "sf-axis", x1: 0, y1: 20, x2: result.d_ff, y2: 20 }));
    let d = "";
    s.values.forEach((v, i) => {
      if (v !== 0) d += "M" + (i + 0.5) + " 20V" + (20 - 19 * v / s.max).toFixed(2);
    });
    pic.appendChild(svg("path", { class: "sf-bars", d: d }));
    if (s.key === "hidden") {
      for (const n of result.neurons) {
        pic.appendChild(svg("circle", { class: "sf-mark", cx: n.index + 0.5, cy: (20 - 19 * n.value / s.max).toFixed(2), r: 1.5 }));
      }
    }
    box.append(label, pic);
    return box;
  }

  function topTable(result, wid) {
    const cap = T.el("p", "sf-top-cap", "The " + result.neurons.length + " most active neurons (largest |hidden|): together "
      + (100 * result.top_share).toFixed(0) + "% of the sum of squared hidden values.");
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
      tr.append(th, T.el("td", null, num(n.gate)), T.el("td", null, num(n.silu)), T.el("td", null, num(n.up)));
      tr.appendChild(T.el("td")).appendChild(T.el("strong", null, num(n.value)));
      tr.appendChild(T.el("td", null, num(n.write)));
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
    const top = Math.max(result.residual_norm, result.out_norm, result.new_norm);
    for (const [label, v, cls] of [["residual stream before the FFN", result.residual_norm, "sf-n-res"],
      ["FFN output, hidden W_down", result.out_norm, "sf-n-out"], ["residual stream after the add", result.new_norm, "sf-n-new"]]) {
      const row = T.el("div", "sf-norm");
      const bar = T.el("span", "sf-norm-box");
      bar.setAttribute("aria-hidden", "true");
      bar.appendChild(T.el("span", "sf-norm-bar " + cls)).style.width = (100 * v / top).toFixed(1) + "%";
      row.append(T.el("span", "sf-norm-label", label), bar, T.el("span", "sf-norm-num", num(v)));
      box.appendChild(row);
    }
    return box;
  }

  function showValues(el) {
    for (const key of ["layer", "position"]) {
      const input = el.querySelector('[data-param="' + key + '"]');
      input.nextElementSibling.textContent = input.value;
    }
  }

  glassbox.widget("swiglu_ffn", {
    read(el) {
      const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
      return { prompt: value("prompt"), layer: Number(value("layer")), position: Number(value("position")) };
    },

    mount(el) {
      el.querySelector(".sf-controls").addEventListener("input", () => showValues(el));
    },

    draw(el, result) {
      const pos = el.querySelector('[data-param="position"]');
      pos.max = String(result.n_tokens - 1);  // the slider spans the prompt's tokens
      pos.value = String(result.params.position);
      showValues(el);
      const wid = el.querySelector('[data-param="layer"]').id.replace(/-layer$/, "");
      const frag = document.createDocumentFragment();
      if (result.note) frag.appendChild(T.el("p", "tok-note", result.note));
      const chips = T.el("div", "tok-chips sf-chips");
      chips.setAttribute("role", "group");
      chips.setAttribute("aria-label", "Prompt tokens; the chosen one is marked");
      result.tokens.forEach((t, i) => {
        const chip = tok(t, i === result.token.position ? "sf-chosen" : "sf-other");
        chip.appendChild(T.el("span", "tok-id", i));
        chips.appendChild(chip);
      });
      frag.appendChild(chips);
      const where = T.el("p", "sf-where", "Layer " + result.params.layer + ", token " + result.token.position + " ");
      where.append(tok(result.token, "sf-chosen"), ". The FFN reads the residual stream after this layer's attention (norm "
        + num(result.residual_norm) + ") through RMSNorm: x, [d_model] = " + result.d_model + " numbers, norm "
        + num(result.x_norm) + ".");
      frag.appendChild(where);
      const strips = T.el("div", "sf-strips");
      for (const s of result.strips) strips.appendChild(strip(s, result));
      strips.appendChild(T.el("p", "sf-strip-foot", "Each thin bar is one of the " + result.d_ff + " hidden neurons, in order "
        + "(0 on the left); up is positive, down negative, each row scaled to its own largest value. " + result.n_gate_negative
        + " of the " + result.d_ff + " gates are negative, so SiLU nearly closes them; " + result.n_small
        + " hidden values are under a tenth of the largest."));
      frag.append(strips, topTable(result, wid), norms(result));
      frag.appendChild(T.el("p", "sf-summary", "The FFN's output, [d_model] = " + result.d_model + " numbers, has norm "
        + num(result.out_norm) + ": " + num(result.ratio) + " times the residual stream it is added to (cosine between them "
        + num(result.cos) + "). After the add the stream's norm is " + num(result.new_norm) + "."));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();

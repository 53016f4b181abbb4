/* Attention maps: redraws the small heatmaps (every layer of the tiny model, the chosen layer of a real one;
   grouped by shared key/value head), the enlarged head with token labels, and the text summaries from compute's
   result. The build draws the pre-rendered figure with this code too. A click on a small map sets the layer and
   head menus, which asks for the enlarged head; a model with other dimensions refills the menus. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const C = 16, LW = 96, TH = 96;  // enlarged map: cell size, room for the row and column labels

  const pct = (w) => (100 * w).toFixed(1) + "%";

  const svg = window.glassboxTokens.svg;

  // The causal triangle: row i may hold keys 0..i.
  function stairs(n, c, x0, y0) {
    let d = "M" + x0 + " " + y0;
    for (let i = 0; i < n; i++) d += "H" + (x0 + (i + 1) * c) + "V" + (y0 + (i + 1) * c);
    return d + "H" + x0 + "Z";
  }

  function thumbnail(m, n, chosen) {
    const button = T.el("button", "am-map");
    button.type = "button";
    button.dataset.layer = m.layer;
    button.dataset.head = m.head;
    button.setAttribute("aria-pressed", chosen ? "true" : "false");
    button.setAttribute("aria-label", "Layer " + m.layer + ", head " + m.head + ": " + m.text);
    const map = svg("svg", { viewBox: "0 0 " + n + " " + n, "aria-hidden": "true" });
    map.appendChild(svg("path", { class: "am-tri", d: stairs(n, 1, 0, 0) }));
    for (const [i, j, w] of m.cells) {
      map.appendChild(svg("rect", { x: j, y: i, width: 1, height: 1, "fill-opacity": Math.sqrt(w).toFixed(2) }));
    }
    button.append(map, T.el("span", "am-map-name", "head " + m.head));
    return button;
  }

  function grid(r) {
    const box = T.el("div", "am-grid" + (r.grid_layers.length < r.n_layer ? " am-one" : ""));
    for (const layer of r.grid_layers) {
      const row = T.el("div", "am-layer");
      row.appendChild(T.el("p", "am-layer-name", "Layer " + layer));
      for (let g = 0; g < r.n_kv_head; g++) {
        const group = T.el("div", "am-group");
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", "Layer " + layer + ": query heads " + g * r.group + " to "
          + ((g + 1) * r.group - 1) + " share key/value head " + g);
        const name = T.el("span", "am-group-name", "KV " + g);
        name.setAttribute("aria-hidden", "true");
        group.appendChild(name);
        for (let h = g * r.group; h < (g + 1) * r.group; h++) {
          const index = layer * r.n_head + h;
          group.appendChild(thumbnail(r.heads[index], r.n_tokens, index === r.chosen));
        }
        row.appendChild(group);
      }
      box.appendChild(row);
    }
    return box;
  }

  function bigMap(r, m) {
    const n = r.n_tokens;
    const box = T.el("div", "am-big-box");
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", "Enlarged attention map of layer " + m.layer + ", head " + m.head);
    const w = LW + n * C, h = TH + n * C;
    const map = svg("svg", { class: "am-big", width: w, height: h, viewBox: "0 0 " + w + " " + h, role: "img",
      "aria-label": "Attention weights of layer " + m.layer + ", head " + m.head
        + "; the list below gives where each token looks most" });
    map.appendChild(svg("path", { class: "am-tri", d: stairs(n, C, LW, TH) }));
    r.tokens.forEach((t, i) => {
      const row = svg("text", { class: "am-tick", x: LW - 4, y: TH + i * C + 12, "text-anchor": "end" });
      row.textContent = t.label;
      const col = svg("text", { class: "am-tick",
        transform: "translate(" + (LW + i * C + 11) + " " + (TH - 4) + ") rotate(-60)" });
      col.textContent = t.label;
      map.append(row, col);
    });
    r.rows.forEach((row, i) => {
      row.forEach((weight, j) => {
        const cell = svg("rect", { x: LW + j * C, y: TH + i * C, width: C, height: C,
          "fill-opacity": Math.sqrt(weight).toFixed(2) });
        const title = svg("title");
        title.textContent = r.tokens[i].label + " → " + r.tokens[j].label + ": " + pct(weight);
        cell.appendChild(title);
        map.appendChild(cell);
      });
    });
    box.appendChild(map);
    return box;
  }

  function details(summary, list) {
    const node = T.el("details", "am-details");
    node.append(T.el("summary", null, summary), list);
    return node;
  }

  // The layer and head menus list the model's own layers and heads; refilled when the model changes.
  function syncMenus(el, r) {
    const layer = el.querySelector('[data-param="layer"]'), head = el.querySelector('[data-param="head"]');
    if (layer.options.length !== r.n_layer || head.options.length !== r.n_head) {
      layer.replaceChildren(...Array.from({ length: r.n_layer }, (_, i) => new Option(String(i), String(i))));
      head.replaceChildren(...Array.from({ length: r.n_head }, (_, i) =>
        new Option(i + " (key/value head " + Math.floor(i / r.group) + ")", String(i))));
      layer.value = String(r.params.layer);
      head.value = String(r.params.head);
    }
  }

  function howText(r) {
    const n = r.n_tokens;
    const some = r.grid_layers.length < r.n_layer
      ? " It has " + r.n_layer + " layers of " + r.n_head + " query heads, " + r.n_layer * r.n_head + " in all: the maps are layer "
        + r.grid_layers[0] + "'s (choose another layer above; every head is described in words at the end)."
      : "";
    return r.model_name + ", " + n + " token" + (n === 1 ? "" : "s") + "." + some + " Each small map is one head: row = the token "
      + "that looks (the query), column = the token it looks at (the key), stronger colour = more weight; only the triangle "
      + "below the diagonal can be filled (the causal mask). Boxes group the query heads that share one "
      + "key/value head. Choose a map to enlarge it.";
  }

  glassbox.widget("attention_maps", {
    read(el) {
      const value = (key) => el.querySelector('[data-param="' + key + '"]').value;
      return { prompt: value("prompt"), layer: Number(value("layer")), head: Number(value("head")) };
    },

    mount(el) {
      el.addEventListener("click", (event) => {
        const button = event.target.closest(".am-map");
        if (!button) return;
        el.querySelector('[data-param="layer"]').value = button.dataset.layer;
        const head = el.querySelector('[data-param="head"]');
        head.value = button.dataset.head;
        head.dispatchEvent(new Event("change", { bubbles: true }));
      });
    },

    draw(el, r) {
      const frag = document.createDocumentFragment();
      if (r.note) frag.appendChild(T.el("p", "tok-note", r.note));
      syncMenus(el, r);
      frag.append(T.chips(r.tokens, false, "The text's tokens"), T.el("p", "am-how", howText(r)), grid(r));

      const m = r.heads[r.chosen];
      frag.append(T.el("h3", "am-title", "Layer " + m.layer + ", query head " + m.head + " (key/value head "
          + m.kv_head + ")"),
        T.el("p", "am-summary", "It " + m.text + ". On average its queries put " + pct(m.prev) + " of their weight "
          + "on the previous token, " + pct(m.first) + " on the first token and " + pct(m.self) + " on themselves."),
        bigMap(r, m));

      const focus = T.el("ol", "am-focus");
      focus.start = 0;
      for (const f of r.focus) {
        const li = T.el("li");
        li.append(T.el("span", "am-mono", r.tokens[f.query].label), " → ", T.el("span", "am-mono", r.tokens[f.key].label),
          " (" + (f.query - f.key) + " back), " + pct(f.weight));
        focus.appendChild(li);
      }
      const words = T.el("ul", "am-words");
      for (const h of r.heads) {
        words.appendChild(T.el("li", null, "Layer " + h.layer + ", head " + h.head + " (KV " + h.kv_head + "): "
          + h.text + "."));
      }
      frag.append(details("Where each token looks most, in this head", focus),
        details("Every head in words", words));
      el.querySelector(".widget-output").replaceChildren(frag);
    },
  });
})();

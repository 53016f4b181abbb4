/* Attention maps: redraws the small heatmaps (every layer of the tiny model, the chosen layer of a real one;
   grouped by shared key/value head), the enlarged head with token labels, and the text summaries from compute's
   result. The build draws the pre-rendered figure with this code too. A click on a small map sets the layer and
   head menus, which asks for the enlarged head; a model with other dimensions refills the menus. */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const svg = window.glassboxTokens.svg;

  function thumbnail(m, n, tri, chosen) {
    const button = T.el("button", "am-map");
    button.type = "button";
    button.dataset.layer = m.layer;
    button.dataset.head = m.head;
    button.setAttribute("aria-pressed", chosen ? "true" : "false");
    button.setAttribute("aria-label", "Layer " + m.layer + ", head " + m.head + ": " + m.text);
    const map = svg("svg", { viewBox: "0 0 " + n + " " + n, "aria-hidden": "true" });
    map.appendChild(svg("path", { class: "am-tri", d: tri }));
    for (const [i, j, , opacity] of m.cells) {
      map.appendChild(svg("rect", { x: j, y: i, width: 1, height: 1, "fill-opacity": opacity }));
    }
    button.append(map, T.el("span", "am-map-name", "head " + m.head));
    return button;
  }

  function grid(r) {
    const box = T.el("div", "am-grid" + (r.grid_layers.length < r.n_layer ? " am-one" : ""));
    for (const layer of r.grid) {
      const row = T.el("div", "am-layer");
      row.appendChild(T.el("p", "am-layer-name", "Layer " + layer.layer));
      for (const g of layer.groups) {
        const group = T.el("div", "am-group");
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", g.label);
        const name = T.el("span", "am-group-name", "KV " + g.kv_head);
        name.setAttribute("aria-hidden", "true");
        group.appendChild(name);
        for (const index of g.heads) {
          group.appendChild(thumbnail(r.heads[index], r.n_tokens, r.tri_small, index === r.chosen));
        }
        row.appendChild(group);
      }
      box.appendChild(row);
    }
    return box;
  }

  function bigMap(r, m) {
    const b = r.big;
    const box = T.region("am-big-box", "Enlarged attention map of layer " + m.layer + ", head " + m.head);
    const map = svg("svg", { class: "am-big", width: b.size, height: b.size, viewBox: "0 0 " + b.size + " " + b.size,
      role: "img", "aria-label": "Attention weights of layer " + m.layer + ", head " + m.head
        + "; the list below gives where each token looks most" });
    map.appendChild(svg("path", { class: "am-tri", d: b.tri }));
    r.tokens.forEach((t, i) => {
      const row = svg("text", { class: "am-tick", x: b.label_x, y: b.label_y[i], "text-anchor": "end" });
      row.textContent = t.label;
      const col = svg("text", { class: "am-tick", transform: b.col_label[i] });
      col.textContent = t.label;
      map.append(row, col);
    });
    b.cells.forEach((row, i) => {
      row.forEach(([opacity, share], j) => {
        const cell = svg("rect", { x: b.x[j], y: b.y[i], width: b.cell, height: b.cell, "fill-opacity": opacity });
        const title = svg("title");
        title.textContent = r.tokens[i].label + " → " + r.tokens[j].label + ": " + share;
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
  // The chosen head switched off: what Python measured, as a sentence and a table of the positions that moved most.
  function switchedOff(a) {
    const rows = a.rows.map((row) => T.headedRow(row.after, [row.before, row.without, row.moved],
      row.changed ? "am-changed" : null));
    const table = T.table("am-off", ["After token", "With the head", "Switched off", "Moved"], rows);
    return [T.el("p", "am-summary", a.text), T.scroller("am-off-scroll", "Predictions with and without the head", table)];
  }

  function syncMenus(el, r) {
    const layer = el.querySelector('[data-param="layer"]'), head = el.querySelector('[data-param="head"]');
    if (layer.options.length !== r.n_layer || head.options.length !== r.n_head) {
      layer.replaceChildren(...Array.from({ length: r.n_layer }, (_, i) => new Option(String(i), String(i))));
      head.replaceChildren(...r.head_options.map((text, i) => new Option(text, String(i))));
      layer.value = String(r.params.layer);
      head.value = String(r.params.head);
    }
  }

  glassbox.widget("attention_maps", {
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
      const frag = T.figure(r.note);
      syncMenus(el, r);
      frag.append(T.chips(r.tokens, false, "The text's tokens"), T.el("p", "am-how", r.how), grid(r));

      const m = r.heads[r.chosen];
      frag.append(T.el("h3", "am-title", r.chosen_title), T.el("p", "am-summary", r.chosen_summary));
      if (r.ablation) frag.append(...switchedOff(r.ablation));
      frag.appendChild(bigMap(r, m));

      const focus = T.el("ol", "am-focus");
      focus.start = 0;
      for (const f of r.focus) {
        const li = T.el("li");
        li.append(T.el("span", "am-mono", r.tokens[f.query].label), " → ", T.el("span", "am-mono", r.tokens[f.key].label),
          " (" + f.back + " back), " + f.percent);
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

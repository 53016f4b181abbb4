/* A benchmark run: the score (acc and acc_norm, each ± its standard error), a table per group, a grid of the 30
   items (right or wrong under each score), one item in full (its choices' tokens, log-probabilities and picks),
   and the reader's own item. Every number and width comes from compute's result; this only places them (the
   build draws the pre-rendered figure with this code too). */
(function () {
  "use strict";

  const T = window.glassboxTokens;
  const make = T.el;
  const MARK_TEXT = { right: "right answer", acc: "picked by acc", acc_norm: "picked by acc_norm" };

  function summary(r) {
    const p = make("p", "bm-summary");
    p.append(make("strong", null, "acc"), " (highest total log-probability): " + r.acc_text + ". ",
      make("strong", null, "acc_norm"), " (highest per character): " + r.norm_text
        + ". Picking at random: " + r.chance_text + ".");
    return p;
  }

  function groups(r) {
    const wrap = T.region("bm-scroll", "Scores per group of items (scrolls sideways)");
    const table = make("table", "bm-table bm-groups");
    const body = make("tbody");
    for (const g of r.groups) body.appendChild(T.headedRow(g.label, g.cells));
    table.append(T.thead(["Items", "n", "acc", "acc_norm", "dirty"]), body);
    wrap.appendChild(table);
    const key = make("p", "bm-key", "acc and acc_norm: the share right ± its standard error. Dirty: items sharing "
      + "a run of 8 words with the training text (GPT-3's contamination test).");
    const box = make("div");
    box.append(wrap, key);
    return box;
  }

  function grid(r) {
    const list = make("ol", "bm-grid");
    list.setAttribute("aria-label", "Every item: right or wrong under acc and under acc_norm");
    for (const c of r.grid) {
      const li = make("li", "bm-cell bm-" + c.group + (c.selected ? " bm-selected" : "") + (c.disagree ? " bm-disagree" : ""));
      li.setAttribute("aria-label", c.label);
      li.append(make("span", "bm-n", c.n),
        make("span", c.acc ? "bm-yes" : "bm-no", c.acc ? "✓" : "✗"),
        make("span", c.norm ? "bm-yes" : "bm-no", c.norm ? "✓" : "✗"));
      list.appendChild(li);
    }
    const key = make("p", "bm-key");
    key.append("Each cell: the item's number, then ✓ or ✗ under acc and under acc_norm. Outlined: the two disagree. "
      + "Shaded: a sentence from the training text; dotted: from a held-out address; plain: a fact.");
    const box = make("div", "bm-grid-box");
    box.append(list, key);
    return box;
  }

  function choiceRow(row) {
    const tr = make("tr", row.right ? "bm-right" : null);
    const head = T.th([], "row");
    const chips = make("span", "tok-chips bm-chips");
    chips.setAttribute("role", "group");
    chips.setAttribute("aria-label", "Tokens of “" + row.choice + "” with their log-probabilities");
    for (const c of row.tokens) {
      const chip = make("span", "tok tok-c" + c.colour);
      chip.append(T.appendSegs(make("span", "tok-s"), c.segs), make("span", "tok-id", c.lp_text));
      chips.appendChild(chip);
    }
    const marks = make("span", "bm-marks");
    for (const m of row.marks) marks.appendChild(make("span", "bm-mark bm-mark-" + m, MARK_TEXT[m]));
    head.append(make("span", "bm-choice", row.choice), chips, marks);
    tr.appendChild(head);
    const total = make("td");
    total.append(make("span", "bm-num", row.logprob_text), T.bar("bm-bar" + (row.acc ? " bm-pick" : ""), row.bar));
    const perChar = make("td");
    perChar.append(make("span", "bm-num", row.per_char_text + " × " + row.n_chars),
      T.bar("bm-bar" + (row.acc_norm ? " bm-pick" : ""), row.bar_char));
    tr.append(total, perChar);
    return tr;
  }

  function itemTable(d, label) {
    const wrap = T.region("bm-scroll", label + " (scrolls sideways)");
    const table = make("table", "bm-table bm-choices");
    const body = make("tbody");
    for (const row of d.rows) body.appendChild(choiceRow(row));
    table.append(T.thead(["Choice: its tokens, each with its log p", "log p", "per character × length"]), body);
    wrap.appendChild(table);
    return wrap;
  }

  function contextLine(text) {
    const p = make("p", "bm-context");
    p.append(make("span", "bm-context-text", text || "<|endoftext|>"), make("span", "bm-blank", " ___"));
    return p;
  }

  function item(r) {
    const d = r.item;
    const section = make("section", "bm-item");
    const title = make("h3", "bm-title", "Item " + d.n + ": " + d.group_label);
    const src = make("p", "bm-source");
    if (d.source_url) {
      const a = make("a", null, d.source_text);
      a.href = d.source_url;
      src.append("Source: ", a, ". ");
    } else {
      src.append("Source: " + d.source_text + ". ");
    }
    src.append(d.overlap_text);
    section.append(title, contextLine(d.context), itemTable(d, "Item " + d.n + "'s choices"),
      make("p", "bm-verdict", d.verdict), src);
    return section;
  }

  function yours(y) {
    const section = make("section", "bm-item bm-yours");
    section.appendChild(make("h3", "bm-title", "Your item"));
    if (y.message) {
      section.appendChild(make("p", "bm-note", y.message));
    } else {
      section.append(contextLine(y.context), itemTable(y, "Your item's choices"), make("p", "bm-verdict", y.verdict));
    }
    for (const n of y.notes || []) section.appendChild(make("p", "bm-note", n));
    return section;
  }

  glassbox.widget("benchmark_run", {
    draw(el, r) {
      T.showReadouts(el, r.readouts);
      const out = [];
      if (r.note) out.push(make("p", "bm-note", r.note));
      out.push(summary(r), groups(r), grid(r), item(r));
      if (r.yours) out.push(yours(r.yours));
      el.querySelector(".widget-output").replaceChildren(...out);
    },
  });
})();

/* Token chips and the builders every widget's draw() uses (live, and at build time under node).
   A chip is {id, segs: [[kind, text], ...], nl?, new?}; kind "t" is text, "w" a whitespace marker,
   "x" bytes that are only part of a UTF-8 character. Reader text only ever goes in via textContent. */
(function () {
  "use strict";

  const N_COLOURS = 5;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // An SVG element with attributes (and text): the charts' building block, shared by every widget.
  function svg(tag, attrs, text) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function appendSegs(parent, segs) {
    for (const [kind, text] of segs) {
      if (kind === "t") parent.appendChild(document.createTextNode(text));
      else parent.appendChild(el("span", kind === "w" ? "tok-w" : "tok-x", text));
    }
    return parent;
  }

  // A token as text: a span of class cls holding its display segments (a chip without colour or id).
  function token(cls, segs) {
    const node = el("span", cls);
    node.appendChild(appendSegs(el("span", "tok-s"), segs));
    return node;
  }

  // A bar of the given CSS width (class fillCls, if given) inside its track (class cls), hidden from screen readers: the number
  // beside it says the same.
  function bar(cls, width, fillCls) {
    const box = el("span", cls);
    box.setAttribute("aria-hidden", "true");
    const fill = el("span", fillCls);
    fill.style.width = width;
    box.appendChild(fill);
    return box;
  }

  // A list (tag "ul" or "ol") of class cls, named for screen readers by label.
  function list(tag, cls, label) {
    const node = el(tag, cls);
    node.setAttribute("aria-label", label);
    return node;
  }

  // One chip (plus its line break, if it holds one) appended to parent.
  function appendChip(parent, c, i, showIds) {
    const node = el("span", "tok tok-c" + (i % N_COLOURS) + (c.new ? " tok-new" : ""));
    node.appendChild(appendSegs(el("span", "tok-s"), c.segs));
    if (showIds) node.appendChild(el("span", "tok-id", c.id));
    parent.appendChild(node);
    if (c.nl) parent.appendChild(el("span", "tok-br"));
    return node;
  }

  // An empty group of chips (classes "tok-chips" and cls), named for screen readers; a div unless tag says.
  function chipGroup(cls, label, tag) {
    const box = el(tag || "div", cls ? "tok-chips " + cls : "tok-chips");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", label);
    return box;
  }

  function chips(list, showIds, label) {
    const box = chipGroup(null, label || "Tokens");
    const frag = document.createDocumentFragment();
    list.forEach((c, i) => appendChip(frag, c, i, showIds));
    box.appendChild(frag);
    return box;
  }

  // A box that may scroll sideways on a phone: focusable and labelled, so a keyboard can scroll it too.
  function region(cls, label) {
    const box = el("div", cls);
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", label);
    return box;
  }

  // A header cell holding text, a node, or a list of both; scope "col" names a column, "row" a row.
  function th(content, scope) {
    const node = el("th");
    node.append(...[content].flat());
    node.scope = scope;
    return node;
  }

  // A <thead> with one row of column headers: thead(["Model", "Tokens"]).
  function thead(headers) {
    const tr = el("tr");
    for (const h of headers) tr.appendChild(th(h, "col"));
    const head = el("thead");
    head.appendChild(tr);
    return head;
  }

  // A body row: its row header, then one <td> per cell; a cell is text, or a node to put in the <td>.
  function headedRow(header, cells, cls) {
    const tr = row(cells, cls);
    tr.prepend(th(header, "row"));
    return tr;
  }

  // A body row of plain cells (text, or nodes), without a row header.
  function row(cells, cls) {
    const tr = el("tr", cls);
    for (const cell of cells) {
      const isNode = cell !== null && typeof cell === "object";
      const td = el("td", null, isNode ? null : cell);
      if (isNode) td.appendChild(cell);
      tr.appendChild(td);
    }
    return tr;
  }

  // A table of class cls: one row of column headers (unless headers is null), then the body rows (<tr>s).
  function table(cls, headers, rows) {
    const node = el("table", cls);
    if (headers) node.appendChild(thead(headers));
    const body = node.appendChild(el("tbody"));
    for (const tr of rows) body.appendChild(tr);
    return node;
  }

  // A region (see region()) around one node: a wide table that scrolls sideways on a phone.
  function scroller(cls, label, child) {
    const box = region(cls, label);
    box.appendChild(child);
    return box;
  }

  // A two-column table of [name, value] rows (a model's stats): the rows in a <tbody>, as an HTML parser
  // puts them, so the pre-rendered table reads back the same.
  function statsTable(cls, rows) {
    const table = el("table", cls);
    const body = table.appendChild(el("tbody"));
    for (const [name, value] of rows) body.appendChild(headedRow(name, [value]));
    return table;
  }

  // A chart's axes as SVG nodes, placed where Python put them. a is the plot box (left, right, top,
  // bottom) with its ticks: a.x [{at, label}] under the box at a.x_text_y, a.y [{at, text_y, label}] left
  // of it at a.y_text_x (a tick without a label draws none), then the two axis lines over them. grid names the ticks that get a grid line
  // across the box ("x", "y", "xy" or ""); classes are PREFIX-axis, PREFIX-grid and PREFIX-tick.
  function axes(prefix, a, grid) {
    const nodes = [];
    for (const t of a.x) {
      if (grid.includes("x")) nodes.push(svg("line", { class: prefix + "-grid", x1: t.at, y1: a.top, x2: t.at, y2: a.bottom }));
      if (t.label) nodes.push(svg("text", { class: prefix + "-tick", x: t.at, y: a.x_text_y, "text-anchor": "middle" }, t.label));
    }
    for (const t of a.y) {
      if (grid.includes("y")) nodes.push(svg("line", { class: prefix + "-grid", x1: a.left, y1: t.at, x2: a.right, y2: t.at }));
      if (t.label) nodes.push(svg("text", { class: prefix + "-tick", x: a.y_text_x, y: t.text_y, "text-anchor": "end" }, t.label));
    }
    nodes.push(svg("line", { class: prefix + "-axis", x1: a.left, y1: a.bottom, x2: a.right, y2: a.bottom }),
      svg("line", { class: prefix + "-axis", x1: a.left, y1: a.top, x2: a.left, y2: a.bottom }));
    return nodes;
  }

  // The axes' names at the places Python chose (a.x_title, a.y_title), the x name anchored by xAnchor.
  function axisNames(prefix, a, xName, yName, xAnchor) {
    return [svg("text", { class: prefix + "-tick", x: a.x_title.x, y: a.x_title.y, "text-anchor": xAnchor }, xName),
      svg("text", { class: prefix + "-tick", x: a.y_title.x, y: a.y_title.y }, yName)];
  }

  // A fragment to build a figure in, starting with Python's note on the reader's input (a prompt cut to
  // its last tokens, a value clamped), when there is one.
  function figure(note) {
    const frag = document.createDocumentFragment();
    if (note) frag.appendChild(el("p", "tok-note", note));
    return frag;
  }

  // Sliders whose readout is their own value (a layer, a position): each [data-param=key]'s readout shows
  // it, as the slider moves and after draw() changed its range.
  function echo(root, keys) {
    for (const key of keys) {
      const input = root.querySelector('[data-param="' + key + '"]');
      input.nextElementSibling.textContent = input.value;
    }
  }

  // The readouts beside the controls: each text goes in the element after the control [data-param=key].
  function showReadouts(root, texts) {
    for (const [key, text] of Object.entries(texts)) {
      root.querySelector('[data-param="' + key + '"]').nextElementSibling.textContent = text;
    }
  }

  window.glassboxTokens = {
    el, svg, appendSegs, token, bar, list, appendChip, chipGroup, chips, N_COLOURS, region, th, thead, headedRow, row, table, scroller,
    statsTable,    axes, axisNames, figure, echo, showReadouts,
  };
})();

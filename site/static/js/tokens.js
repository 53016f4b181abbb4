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

  // A bar of the given CSS width inside its track (class cls), hidden from screen readers: the number
  // beside it says the same.
  function bar(cls, width) {
    const box = el("span", cls);
    box.setAttribute("aria-hidden", "true");
    const fill = el("span");
    fill.style.width = width;
    box.appendChild(fill);
    return box;
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

  function chips(list, showIds, label) {
    const box = el("div", "tok-chips");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", label || "Tokens");
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
    const tr = el("tr", cls);
    tr.appendChild(th(header, "row"));
    for (const cell of cells) {
      const isNode = cell !== null && typeof cell === "object";
      const td = el("td", null, isNode ? null : cell);
      if (isNode) td.appendChild(cell);
      tr.appendChild(td);
    }
    return tr;
  }

  // A two-column table of [name, value] rows (a model's stats): the rows in a <tbody>, as an HTML parser
  // puts them, so the pre-rendered table reads back the same.
  function statsTable(cls, rows) {
    const table = el("table", cls);
    const body = table.appendChild(el("tbody"));
    for (const [name, value] of rows) body.appendChild(headedRow(name, [value]));
    return table;
  }

  // The readouts beside the controls: each text goes in the element after the control [data-param=key].
  function showReadouts(root, texts) {
    for (const [key, text] of Object.entries(texts)) {
      root.querySelector('[data-param="' + key + '"]').nextElementSibling.textContent = text;
    }
  }

  window.glassboxTokens = {
    el, svg, appendSegs, token, bar, appendChip, chips, N_COLOURS, region, th, thead, headedRow, statsTable, showReadouts,
  };
})();

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

  window.glassboxTokens = { el, svg, appendSegs, appendChip, chips, N_COLOURS };
})();

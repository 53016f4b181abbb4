/* Glassbox site search: the box in every page's header finds chapters, headings, figures and glossary terms
   in search-index.json (written by the build, sitebuild/search.py), fetched the first time the box is used.
   Nothing is sent anywhere: the search runs here, on a few hundred entries.

   A result matches when every word typed starts a word of its title or body ("atten mask" finds "The
   causal mask" of the Attention chapter). Ranking: a chapter's title, then a heading or a term, then a
   figure's name, each over a match in body text; a whole word over the start of one; ties keep reading
   order. Keys: "/" focuses the box; Down and Up move through the results (links: Enter follows one);
   Escape closes them and returns to the box. Without JavaScript the box stays hidden. */
(function () {
  "use strict";

  const MAX_RESULTS = 8;
  const KIND_WEIGHT = { chapter: 100, heading: 50, term: 50, figure: 30 };   // a title match, by kind
  const BODY_WEIGHT = 10;
  const LABEL = { heading: "Section", figure: "Figure", term: "Term" };   // a chapter shows "Chapter N"

  let entries = null;                      // [{kind, title, url, chapter, body, titleWords, bodyWords}]
  let loading = null;

  // Lower case, accents dropped, split at anything that is not a letter or a digit.
  function words(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  }

  function load() {
    if (!loading) {
      loading = fetch(new URL("search-index.json", document.baseURI)).then((r) => {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }).then((index) => {
        entries = index.entries.map(([kind, title, url, chapter, body]) => ({
          kind, title, url, chapter, body, titleWords: words(title + " " + (kind === "figure" ? url : "")),
          bodyWords: words(body),
        }));
      });
      loading.catch(() => { loading = null; });    // try again on the next keystroke
    }
    return loading;
  }

  // How well one typed word matches a list of words: 2 a whole word, 1 the start of one, 0 none.
  function matchOf(term, list) {
    let best = 0;
    for (const w of list) {
      if (w === term) return 2;
      if (w.startsWith(term)) best = 1;
    }
    return best;
  }

  function search(query) {
    const terms = words(query);
    if (!terms.length || !entries) return [];
    const scored = [];
    entries.forEach((e, order) => {
      let score = 0;
      for (const term of terms) {
        const inTitle = matchOf(term, e.titleWords), inBody = matchOf(term, e.bodyWords);
        if (!inTitle && !inBody) return;
        score += inTitle ? KIND_WEIGHT[e.kind] * (inTitle + 1) : BODY_WEIGHT * (inBody + 1);
      }
      scored.push({ e, score, order });
    });
    scored.sort((a, b) => b.score - a.score || a.order - b.order);
    return scored.slice(0, MAX_RESULTS).map((s) => s.e);
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function mount(box) {
    const input = box.querySelector(".site-search-input");
    const panel = box.querySelector(".site-search-results");
    const list = box.querySelector(".site-search-list");
    const status = box.querySelector(".site-search-status");
    box.hidden = false;

    const links = () => [...list.querySelectorAll("a")];
    function close() {
      panel.hidden = true;
    }

    function show() {
      const query = input.value.trim();
      if (!query) { list.replaceChildren(); status.textContent = ""; close(); return; }
      load().then(() => {
        if (input.value.trim() !== query) return;          // typed on meanwhile: that search shows
        const found = search(query);
        list.replaceChildren(...found.map((e) => {
          const a = el("a", "site-search-link");
          a.href = e.url;
          a.append(el("span", "site-search-title", e.title),
            el("span", "site-search-where", e.kind === "chapter" ? e.chapter : LABEL[e.kind] + " · " + e.chapter));
          if (e.body) a.append(el("span", "site-search-body", e.body));
          const li = el("li");
          li.append(a);
          return li;
        }));
        status.textContent = found.length ? found.length + (found.length === 1 ? " result" : " results") +
          ": Down arrow to go through them." : "Nothing found for “" + query + "”.";
        if (!found.length) list.append(el("li", "site-search-none", status.textContent));
        panel.hidden = false;
      }, () => {
        status.textContent = "Search could not load its index; the contents page lists every chapter.";
        list.replaceChildren(el("li", "site-search-none", status.textContent));
        panel.hidden = false;
      });
    }

    input.addEventListener("input", show);
    list.addEventListener("click", (event) => { if (event.target.closest("a")) close(); });  // same page: out of the way
    input.addEventListener("focus", (event) => {
      load().catch(() => {});
      if (input.value.trim() && !box.contains(event.relatedTarget)) show();   // back in the box from elsewhere
    });
    box.addEventListener("keydown", (event) => {
      const all = links();
      const at = all.indexOf(document.activeElement);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!all.length || panel.hidden) return;
        event.preventDefault();
        const next = event.key === "ArrowDown" ? at + 1 : at - 1;   // from the box (-1): the first result
        if (next < 0) input.focus();
        else all[Math.min(next, all.length - 1)].focus();
      } else if (event.key === "Escape") {
        if (panel.hidden && document.activeElement === input) { input.value = ""; show(); return; }
        close();
        input.focus();
      } else if (event.key === "Enter" && document.activeElement === input && all.length) {
        event.preventDefault();
        all[0].click();                                    // Enter in the box: the best result
      }
    });
    // Focus leaving the search (a click elsewhere, Tab past the results) closes the results.
    box.addEventListener("focusout", (event) => {
      if (!box.contains(event.relatedTarget)) close();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
      const t = event.target;
      if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
      event.preventDefault();
      input.focus();
      input.select();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".site-search").forEach(mount);
  });
  window.glassboxSearch = { search: (q) => load().then(() => search(q)) };
})();

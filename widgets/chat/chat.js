/* Chat: the prompt the model reads (its chat template's tokens and the conversation's) and the answer,
   drawn as it is written. The build draws the pre-rendered figure with this code too.

   Streaming: compute(params) with stream = k returns the conversation after k steps of the model's loop
   (a chunk of the prompt read, or one token written; the loop waits in the worker between calls). After
   drawing step k this asks for step k + 1, until the answer is done. A new message, a moved slider or the
   model switch replaces the next step's params (latest wins), so it takes effect after at most one
   step; a result drawn for params the controls no longer show asks for nothing more.

   The conversation (the earlier messages) is kept here, per figure, and sent as the "history" param:
   "Continue the conversation" appends this exchange, as compute returned it ("next_history"). */
(function () {
  "use strict";
  const T = window.glassboxTokens;
  const FOCUSABLE = [".chat-prompt", ".chat-answer", ".chat-alts summary"];  // in the output, what a redraw refocuses
  const apis = new WeakMap();       // figure -> its api (from mount)
  const histories = new WeakMap();  // figure -> the earlier messages of its conversation
  const prompts = new WeakMap();    // figure -> the prompt's ids it shows (JSON)

  function history(el) {
    if (!histories.has(el)) {  // the conversation the page was built with
      let built = [];
      try { built = JSON.parse(el.querySelector("script.widget-data").textContent).params.history || []; } catch (e) { /* none */ }
      histories.set(el, built);
    }
    return histories.get(el);
  }

  // What is in no control: the conversation so far; and a live answer is streamed from its first step.
  function read(el) {
    return { history: history(el), stream: 1 };
  }

  // Whether the controls still show what params asked for: the runtime sends a control's text as it is,
  // or as the number it spells exactly, so the text of each equals String() of what was sent.
  function stillAsked(el, params) {
    for (const c of el.querySelectorAll("[data-param]")) {
      const sent = params[c.dataset.param];
      if (c.type === "radio" ? c.checked && sent !== c.value : c.type === "checkbox" ? sent !== c.checked
        : String(sent) !== c.value) return false;
    }
    return JSON.stringify(params.history) === JSON.stringify(history(el));
  }

  // The runtime reads every control (and read()'s history) on an input event, as for any edit.
  function ask(el) {
    el.querySelector('[data-param="message"]').dispatchEvent(new Event("input", { bubbles: true }));
  }

  function showValues(el, result) {  // each slider's <output>
    for (const [key, text] of Object.entries(result.shown)) {
      el.querySelector('[data-param="' + key + '"]').nextElementSibling.textContent = text;
    }
  }

  function chip(c, cls, br) {
    const frag = document.createDocumentFragment();
    const node = T.el("span", "tok " + cls);
    node.title = "id " + c.id;
    node.appendChild(T.appendSegs(T.el("span", "tok-s"), c.segs));
    if (c.p_text !== undefined) node.appendChild(T.el("span", "tok-id chat-p", c.p_text));
    frag.appendChild(node);
    if (br && c.nl) frag.appendChild(T.el("span", "tok-br"));
    return frag;
  }

  // A row of chips; it scrolls when long, so it takes the keyboard's focus.
  function chipRow(cls, label) {
    const box = T.el("div", "tok-chips " + cls);
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", label);
    box.tabIndex = 0;
    return box;
  }

  function answerClass(c) {
    return "chat-k-answer" + (c.stop ? " chat-stop" : "");
  }

  function conversation(result, alternativesOpen) {
    const frag = document.createDocumentFragment();
    for (const note of result.notes) frag.appendChild(T.el("p", "tok-note", note));
    const head = T.el("p", "chat-head");
    head.append(T.el("strong", null, "What " + result.model_name + " reads:"), " the conversation through its chat template, "
      + result.size_text + ".");
    frag.appendChild(head);
    const legend = T.list("ul", "chat-legend", "Kinds of prompt tokens");
    for (const k of result.legend) legend.appendChild(T.el("li", "tok chat-k-" + k.kind, k.label));
    frag.appendChild(legend);
    const prompt = chipRow("chat-prompt", "The prompt, token by token");
    for (const c of result.prompt) prompt.appendChild(chip(c, "chat-k-" + c.kind, true));
    frag.appendChild(prompt);

    const written = T.el("p", "chat-head");
    written.append(T.el("strong", null, "What it writes,"), " token by token, each with the probability it was drawn with:");
    frag.appendChild(written);
    if (result.answer.length) {
      const answer = chipRow("chat-answer", "The answer, token by token");
      for (const c of result.answer) answer.appendChild(chip(c, answerClass(c), true));
      frag.appendChild(answer);
    }
    frag.appendChild(T.el("p", "chat-status chat-state-" + result.state, result.status));
    if (result.answer_text) {
      const text = T.el("p", "chat-text", "A chat app would show: ");
      text.appendChild(T.el("q", null, result.answer_text));
      frag.appendChild(text);
    }
    if (result.answer.length) {
      const details = T.el("details", "chat-alts");
      details.open = alternativesOpen;
      details.appendChild(T.el("summary", null, "The five most likely tokens at each step (temperature 1, before top-p)"));
      const list = T.el("ol", "chat-alt-list");
      for (const c of result.answer) {
        const li = T.el("li");
        li.append(chip(c, answerClass(c), false), " ", T.el("span", "chat-alt-p", "model: " + c.p_model_text));
        const sep = T.el("span", "chat-alt-sep", "·");
        sep.setAttribute("aria-hidden", "true");
        li.append(sep, " ");
        for (const t of c.top) li.append(chip(t, "chat-k-alt", false), " ");
        list.appendChild(li);
      }
      details.appendChild(list);
      frag.appendChild(details);
    }
    if (result.measured) frag.appendChild(T.el("p", "chat-measured", result.measured.line));
    return frag;
  }

  // Without a chat model, the figure keeps the conversation it shows and says what chatting needs.
  function notice(out, result) {
    let box = out.querySelector(".chat-notice");
    if (!box) {
      box = T.el("div", "chat-notice");
      out.prepend(box);
    }
    box.replaceChildren(T.el("p", null, result.notice), T.el("p", null, result.sending));
    for (const note of result.notes) box.appendChild(T.el("p", "tok-note", note));
  }

  function showButtons(el, result) {
    if (!el.querySelector(".chat-continue")) return;  // mount makes them: the pre-rendered figure has none
    const answered = !result.needs_model && result.done && (result.state === "stopped" || result.state === "limit");
    el.querySelector(".chat-continue").disabled = !answered;
    el.querySelector(".chat-new").disabled = history(el).length === 0;
  }

  glassbox.widget("chat", {
    read,

    mount(el, api) {
      apis.set(el, api);
      const controls = el.querySelector(".chat-controls");
      // Every edit fires "input", which already asked for the answer; a "change" after it (a text field
      // left, a slider let go) would start the same answer over while it is being written.
      controls.querySelectorAll("[data-param]").forEach((c) => c.addEventListener("change", (e) => e.stopPropagation()));

      const message = el.querySelector('[data-param="message"]');
      const actions = el.querySelector(".chat-actions");
      // Both start disabled: there is something to continue once a live answer is drawn.
      const next = T.el("button", "chat-continue", "Continue the conversation");
      next.type = "button";
      next.disabled = true;
      const fresh = T.el("button", "chat-new", "New conversation");
      fresh.type = "button";
      fresh.disabled = history(el).length === 0;
      const hint = T.el("p", "chat-hint", "The answer follows your message as you type. Continue keeps this exchange "
        + "in the conversation and empties the box for your next message (Ctrl+Enter in the box does the same).");
      actions.append(next, fresh, hint);
      next.addEventListener("click", () => {
        const result = api.result;
        if (!result || !result.next_history) return;
        histories.set(el, result.next_history);
        message.value = "";
        ask(el);
        next.disabled = true;
        fresh.disabled = false;
        message.focus();
      });
      fresh.addEventListener("click", () => {
        histories.set(el, []);
        ask(el);
        fresh.disabled = true;
        message.focus();
      });
      message.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !next.disabled) {
          e.preventDefault();
          next.click();
        }
      });
    },

    draw(el, result, params) {
      showValues(el, result);
      showButtons(el, result);
      const out = el.querySelector(".widget-output");
      if (result.needs_model) {
        notice(out, result);
        return;
      }
      // A redraw replaces the output: keep the alternatives open, and the keyboard where it was.
      const details = out.querySelector(".chat-alts");
      const focused = FOCUSABLE.find((sel) => out.querySelector(sel) === document.activeElement && document.activeElement);
      const before = out.querySelector(".chat-prompt");
      const scrolled = before ? before.scrollTop : 0;
      out.replaceChildren(conversation(result, details !== null && details.open));
      if (focused && out.querySelector(focused)) out.querySelector(focused).focus({ preventScroll: true });
      // A prompt too long for its box: a new one shows its end (the newest turn, which the answer
      // follows); the same one, redrawn while the answer streams, stays where the reader scrolled it.
      const prompt = out.querySelector(".chat-prompt");
      const key = JSON.stringify(result.prompt.map((c) => c.id));
      prompt.scrollTop = prompts.get(el) === key ? scrolled : prompt.scrollHeight;
      prompts.set(el, key);
      const answer = out.querySelector(".chat-answer");
      if (answer) answer.scrollTop = answer.scrollHeight;  // the newest token in view
      const api = apis.get(el);
      if (!result.done && params.stream > 0 && api && stillAsked(el, params)) api.update({ stream: result.next_stream });
    },
  });
})();

"""Every control of every widget, moved hard: min, max and random values, a few hundred moves per page.

A reader drags sliders, flips menus and pastes odd text faster than Python computes. On every page with
widgets this test does the same: first every control to its min and max and every text field through a
list of strange strings (the warm-up), then random moves, all from a generator seeded with the page's
name, so that a failure reproduces. Moves come in bursts, a few ms apart, like a drag. It checks that

- no figure shows "NaN", "undefined", "Infinity" or "[object" (a JavaScript value drawn unformatted),
  "Could not compute" (compute raised something other than ValueError: the runtime shows its
  traceback) or "Still computing" / "Python stopped" (the worker got stuck or died); looked at after
  every move and again once every widget is idle. A ValueError's message is how a widget refuses bad
  input (the runtime shows it in the figure's status line), so it is allowed;
- nothing reached the console (page or worker), no alert() ran and no reader text became markup;
- neither the page's JavaScript heap nor the worker's memory keeps growing: both are measured after the
  warm-up and again after the last move (results, PyProxies and old redraws' DOM must be released).

Then a long run of one slider on the two widgets that keep the most (a model's logits, a BPE trace).

These tests run on the page's shared visit (the `chapter` fixture, conftest.py), after test_chapters.py's
checks of the same page. Those have already moved every control of every widget here to its extremes and
every text field through the strange text, waiting for each result and checking the figure, and then put
the controls back as the page opened them: when they have, that was the warm-up, and it is not played
again (run on its own, with -k, this test plays it). The page's 300 moves are then all random.
"""

import random
import zlib

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import BAD_ON_SCREEN, IDLE_JS, PAGES_WITH_WIDGETS, STRANGE_TEXT, memory, on

MOVES = 300  # per page, all widgets together
BATCH = 60  # moves in one burst; the runtime coalesces them (latest wins). Few bursts: each ends
# waiting for the slowest widget, which can take seconds per call
GAP_MS = 8  # between two moves of a burst
IDLE_TIMEOUT_MS = 90_000  # the slowest widgets (generation without a KV cache) take seconds per call

CONTROLS = (
    "input[type=range][data-param], input[type=number][data-param], select[data-param], "
    "input[type=checkbox][data-param], input[type=text][data-param], textarea[data-param]"
)

# -> per figure: its widget name and, per control, [kind, its value when the page opened]
CONTROLS_JS = """(sel) => [...document.querySelectorAll('figure.widget')].map((f) => ({
    name: f.dataset.widget,
    controls: [...f.querySelectorAll(sel)].map((c) => [c.tagName === 'SELECT' ? 'select' : (c.type || 'text'),
                                                      c.value]),
}))"""

# Plays moves; each is {w: figure, c: control, how, u: a number in [0, 1), t: a text}. Sets the value as
# the reader's browser would and fires input and change; between moves, looks at every figure, since a
# fast widget redraws for most moves and a bad value could be gone again by the end of the burst.
# -> the moves played (for failure messages), and the first bad thing seen: [widget, match, context] or null
MOVE_JS = """async ([sel, bad, moves, gapMs]) => {
    const figs = [...document.querySelectorAll('figure.widget')];
    const pattern = new RegExp(bad);
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const decimals = (s) => (String(s).split('.')[1] || '').length;
    const played = [];
    for (const m of moves) {
        const c = figs[m.w].querySelectorAll(sel)[m.c];
        if (!c || c.disabled) continue;
        if (c.type === 'checkbox') {
            c.checked = !c.checked;
        } else if (c.tagName === 'SELECT') {
            c.selectedIndex = m.how === 'min' ? 0 : m.how === 'max' ? c.options.length - 1
                : Math.floor(m.u * c.options.length);
        } else if (c.type === 'range' || c.type === 'number') {
            const lo = Number(c.min || 0), hi = Number(c.max || 100);
            const step = c.step && c.step !== 'any' ? Number(c.step) : 0;
            let v = m.how === 'min' ? lo : m.how === 'max' ? hi : lo + m.u * (hi - lo);
            if (m.how === 'rand' && step) v = Number((lo + Math.round((v - lo) / step) * step)
                .toFixed(decimals(step)));
            // A number box can also be typed into: emptied, or given a value outside its range.
            c.value = m.how === 'empty' ? '' : m.how === 'below' ? String(lo - 1 - Math.round(m.u * 100))
                : m.how === 'above' ? String(hi + 1 + Math.round(m.u * 100)) : String(v);
        } else {
            c.value = m.t;
        }
        c.dispatchEvent(new Event('input', { bubbles: true }));
        c.dispatchEvent(new Event('change', { bubbles: true }));
        const shown = c.type === 'checkbox' ? c.checked : c.value.length > 40 ? c.value.slice(0, 40) + '…' : c.value;
        played.push(`${figs[m.w].dataset.widget}.${c.dataset.param} = ${JSON.stringify(shown)}`);
        await sleep(gapMs);
        for (const f of figs) {
            const text = f.innerText, found = pattern.exec(text);
            if (found) return [played, [f.dataset.widget, found[0], text.slice(Math.max(0, found.index - 100), found.index + 100)]];
        }
    }
    return [played, null];
}"""

# Every widget idle (or Python stopped, which the check reports).
IDLE_OR_STOPPED_JS = f"""() => ({IDLE_JS})() || document.querySelector('figure.widget[data-state=error]') !== null"""

# -> per figure: what the reader sees of it, and what must never be there
SCREEN_JS = """() => [...document.querySelectorAll('figure.widget')].map((f) => ({
    name: f.dataset.widget,
    state: f.dataset.state,
    text: f.innerText,
    markup: f.querySelectorAll('.widget-output img, .widget-output script').length,
    message: f.classList.contains('has-error') ? f.querySelector('.widget-status-text').textContent : null,
}))"""

CALLS_JS = "() => glassbox.instances.reduce((n, i) => n + i.calls, 0)"


def plan(rng: random.Random, figures: list[dict], warm_up: bool = True) -> tuple[list[list[dict]], int]:
    """The page's moves in bursts, and how many bursts warm up: first every control to its extremes and
    every text once (the warm-up, unless the page's controls were swept already), then random moves."""
    controls = [(w, c, kind) for w, f in enumerate(figures) for c, (kind, _) in enumerate(f["controls"])]
    sweep = []
    for w, c, kind in controls if warm_up else []:
        if kind in ("text", "textarea"):
            sweep += [{"w": w, "c": c, "how": "text", "t": t} for t in STRANGE_TEXT + [figures[w]["controls"][c][1]]]
        else:
            sweep += [{"w": w, "c": c, "how": how, "u": 0} for how in ("min", "max")]
    moves = list(sweep)
    while len(moves) < MOVES:
        w, c, kind = rng.choice(controls)
        move = {"w": w, "c": c, "u": rng.random()}
        if kind in ("text", "textarea"):
            move.update(how="text", t=rng.choice(STRANGE_TEXT + [figures[w]["controls"][c][1]]))
        elif kind == "number":
            move["how"] = rng.choices(["min", "max", "rand", "empty", "below", "above"], [2, 2, 4, 1, 1, 1])[0]
        else:
            move["how"] = rng.choices(["min", "max", "rand"], [1, 1, 2])[0]
        moves.append(move)
    return [moves[i : i + BATCH] for i in range(0, len(moves), BATCH)], -(-len(sweep) // BATCH)


def check_screen(page, played, seen=None):
    """Fails, naming the moves of the burst, if the console, a dialog or a figure shows something wrong."""
    where = f"on {page.path}, after these moves:\n  " + "\n  ".join(played)
    if seen:
        pytest.fail(f"{seen[0]} shows {seen[1]!r}: ...{' '.join(seen[2].split())}... {where}")
    assert page.watch.errors == [], f"console errors {page.watch.errors} {where}"
    assert page.watch.dialogs == [], f"reader text ran as script {where}"
    for fig in page.evaluate(SCREEN_JS):
        assert fig["state"] == "live", f"{fig['name']}: state {fig['state']} {where}"
        assert fig["markup"] == 0, f"{fig['name']}: reader text became markup {where}"
        bad = BAD_ON_SCREEN.search(fig["text"])
        if bad:
            at = " ".join(fig["text"][max(0, bad.start() - 100) : bad.end() + 100].split())
            pytest.fail(f"{fig['name']} shows {bad.group()!r}: ...{at}... {where}")


@pytest.mark.parametrize("chapter", PAGES_WITH_WIDGETS, indirect=True)
def test_every_control_moved_hard_keeps_the_page_clean_and_memory_bounded(chapter):
    page, path = chapter.watch.live(), chapter.path

    def measure():
        m = memory(page)
        return m["heap"], m["used"], m["objects"], m["caches"]

    figures = page.evaluate(CONTROLS_JS, CONTROLS)
    # test_chapters.py moved every control of every figure here through its extremes and strange text,
    # each result waited for and checked, and put them back: that is this test's warm-up, not played twice.
    names = [f["name"] for f in figures]
    swept = len(set(names)) == len(names) and set(names) <= page.swept
    batches, warm_up = plan(random.Random(zlib.crc32(path.encode())), figures, warm_up=not swept)
    messages = set()
    if not warm_up:
        page.wait_for_function(IDLE_OR_STOPPED_JS, timeout=IDLE_TIMEOUT_MS)
        (heap0, used0, objects0, _), calls0 = measure(), page.evaluate(CALLS_JS)
    for i, batch in enumerate(batches):
        played, seen = page.evaluate(MOVE_JS, [CONTROLS, BAD_ON_SCREEN.pattern, batch, GAP_MS])
        try:
            page.wait_for_function(IDLE_OR_STOPPED_JS, timeout=IDLE_TIMEOUT_MS)
        except PlaywrightTimeout:
            pytest.fail(
                f"{path}: still computing {IDLE_TIMEOUT_MS // 1000} s after these moves:\n  " + "\n  ".join(played)
            )
        check_screen(page, played, seen)
        messages.update(f["message"] for f in page.evaluate(SCREEN_JS) if f["message"])
        if i == warm_up - 1:
            (heap0, used0, objects0, _), calls0 = measure(), page.evaluate(CALLS_JS)
    heap1, used1, objects1, caches = measure()
    calls = page.evaluate(CALLS_JS) - calls0
    print(
        f"{path}: {sum(map(len, batches))} moves, {calls} calls after warm-up; JS heap {heap1 - heap0:+,} B, "
        f"worker {used1 - used0:+,} B, objects {objects1 - objects0:+,}; messages: {sorted(messages)}; "
        f"cache entries since the warm-up: {dict(sorted(caches.items(), key=lambda kv: -kv[1])[:4])}"
    )
    # The bounds of the long slider run below. A redraw's DOM is tens of kB and a result hundreds of
    # Python objects: keeping one per call, over the calls after the warm-up (a few dozen for the slowest
    # widgets, hundreds for most), goes past them. What stays below is noise (the collector's timing,
    # interned strings) and bounded buffers, like the four prefilled prompts model_pass and generate keep
    # (about 2 MB).
    assert heap1 - heap0 < 2 * 2**20, f"{path}: JS heap grew {heap0:,} -> {heap1:,} bytes over {calls} calls"
    assert used1 - used0 <= 8 * 2**20, (
        f"{path}: worker memory in use grew {used0:,} -> {used1:,} bytes over {calls} calls"
    )
    assert objects1 - objects0 < 500, f"{path}: Python objects grew {objects0:,} -> {objects1:,} over {calls} calls"


MOVES_JS = """async ([name, n]) => {
    const fig = document.querySelector(`figure[data-widget="${name}"]`);
    const ranges = [...fig.querySelectorAll('input[type=range][data-param]')];
    for (let i = 0; i < n; i++) {
        const r = ranges[i % ranges.length];
        const lo = Number(r.min), hi = Number(r.max);
        const drawn = new Promise((resolve) => fig.addEventListener('glassbox:drawn', resolve, { once: true }));
        r.value = String(lo + (hi - lo) * ((i * 7919) % 101) / 100);
        r.dispatchEvent(new Event('input', { bubbles: true }));
        await Promise.race([drawn, new Promise((res) => setTimeout(res, 5000))]);
    }
}"""


@pytest.mark.parametrize(
    "chapter, name",
    [(p, n) for p, n in [("sampling.html", "next_token"), ("tokenization.html", "bpe_stepper")] if on(p)],
    indirect=["chapter"],
)
def test_hundreds_of_moves_do_not_grow_memory(chapter, name):
    """After a warm-up, 200 more slider moves leave the page's JS heap, the worker's memory in use and its
    count of Python objects where they were (no leaked PyProxies, results or caches)."""
    page = chapter.watch.live()
    page.evaluate(MOVES_JS, [name, 60])
    m0 = memory(page)
    page.evaluate(MOVES_JS, [name, 200])
    m1 = memory(page)
    where = f"{chapter.path}: {name}: over 200 moves"
    assert m1["heap"] - m0["heap"] < 2 * 2**20, f"{where}: JS heap grew {m0['heap']:,} -> {m1['heap']:,} bytes"
    assert m1["used"] - m0["used"] <= 2**20, (
        f"{where}: worker memory in use grew {m0['used']:,} -> {m1['used']:,} bytes"
    )
    assert m1["objects"] - m0["objects"] < 500, f"{where}: Python objects grew {m0['objects']:,} -> {m1['objects']:,}"
    assert page.watch.errors == []

"""Section 6: update latency of every widget while its controls move, from the input event to the redrawn
figure."""

from .common import asset, pct

LONG_PROMPT = (
    "The President of the United States shall from time to time give to the Congress information of "
    "the State of the Union, and recommend to their Consideration such Measures as he shall judge "
    "necessary and expedient. Tonight I ask the Congress to work with me on the budget, on"
)
MOVES_PER_CONTROL = 16
EDIT_WORDS = ["the", "nation", "must", "act", "now", "and", "the", "people", "will", "decide"]


def widget_instances() -> list[tuple[str, str]]:
    """(page, widget) for the first place each widget appears, in chapter order."""
    import build

    seen, out = set(), []
    for path in sorted(build.Options().chapters.glob("*.md")):
        ch = build.parse_chapter(path)
        for block in ch.blocks:
            if block.kind == "widget" and block.name not in seen:
                seen.add(block.name)
                out.append((ch.filename, block.name))
    return out


def runs_model(name: str) -> bool:
    import build

    module = build.load_widgets(build.Options().widgets)[name].module
    return any(f.startswith("models/") for f in module.DATA)


def control_values(c) -> tuple[str, list]:
    """("drag", values) for a range or number control (MOVES_PER_CONTROL values spread over its range),
    ("choice", values) for a menu (every option, twice) or a checkbox (flipped and back, twice), else ("", [])."""
    tag = c.evaluate("e => e.tagName")
    kind = c.get_attribute("type") or tag.lower()
    if tag == "SELECT":
        return "choice", [o.get_attribute("value") for o in c.locator("option").all()] * 2
    if kind == "checkbox":
        return "choice", [not c.is_checked(), c.is_checked()] * 2
    if kind in ("range", "number"):
        lo, hi = float(c.get_attribute("min") or 0), float(c.get_attribute("max") or 100)
        step = c.get_attribute("step")
        values = [
            lo + (hi - lo) * ((7 * i) % MOVES_PER_CONTROL) / (MOVES_PER_CONTROL - 1) for i in range(MOVES_PER_CONTROL)
        ]
        if step and step != "any":
            values = [round(v / float(step)) * float(step) for v in values]
        return "drag", values
    return "", []


def measure_drag(browser, base: str, only: set | None = None) -> list[dict]:
    """Per widget: ms from a control's input event to the redrawn figure, one move at a time.

    Drags: every range and number control through MOVES_PER_CONTROL values spread over its range. Choices:
    every menu option and every checkbox state, twice. A widget whose only control is text gets edits
    instead (a word added at a time). A widget with a checkbox is measured again with each box flipped,
    as its own row: a box can switch on work that is slow on purpose."""
    move = asset("drag.js")
    rows = []
    for page_name, name in widget_instances():
        if only and name not in only:
            continue
        page = browser.new_page()
        page.goto(base + page_name)
        page.wait_for_function(
            "() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'live')",
            timeout=120_000,
        )
        fig = page.locator(f'figure[data-widget="{name}"]').first
        model = runs_model(name)
        controls = fig.locator("[data-param]").all()
        texts = [
            k
            for k, c in enumerate(controls)
            if c.evaluate("e => e.tagName === 'TEXTAREA' || (e.tagName === 'INPUT' && e.type === 'text')")
        ]
        if model and texts:  # a prompt of about 64 tokens in the first text field
            controls[texts[0]].fill(LONG_PROMPT)
            page.wait_for_function(asset("idle.js"), arg=name, timeout=120_000)

        def sweep(label: str) -> None:
            times = {"drag": [], "choice": []}
            for key, c in enumerate(controls):
                kind, values = control_values(c)
                if not kind:
                    continue
                original = (
                    c.input_value() if kind == "drag" or c.evaluate("e => e.tagName") == "SELECT" else c.is_checked()
                )
                times[kind] += page.evaluate(move, [name, key, values])
                page.evaluate(move, [name, key, [original]])
            if not times["drag"] and not times["choice"] and texts:  # text only: add a word at a time
                start = controls[texts[0]].input_value()
                values = [(start + " " + " ".join(EDIT_WORDS[: i + 1])).strip() for i in range(len(EDIT_WORDS))]
                times["drag"] = page.evaluate(move, [name, texts[0], values])
                page.evaluate(move, [name, texts[0], [start]])
                label += " (text edits)"
            if times["drag"] or times["choice"]:
                d, ch = times["drag"], times["choice"]
                rows.append(
                    {
                        "page": page_name,
                        "widget": label,
                        "model": model,
                        "moves": len(d),
                        "p50": pct(d, 50) if d else None,
                        "p95": pct(d, 95) if d else None,
                        "max": max(d) if d else None,
                        "choices": len(ch),
                        "choice_p95": pct(ch, 95) if ch else None,
                    }
                )
                print(f"  {rows[-1]}", flush=True)
            else:
                print(f"  {label}: no control to move", flush=True)

        sweep(name)
        for key, c in enumerate(controls):
            if c.get_attribute("type") == "checkbox":
                page.evaluate(move, [name, key, [not c.is_checked()]])
                box = c.evaluate("e => (e.labels && e.labels[0] ? e.labels[0].textContent : e.dataset.param).trim()")
                sweep(f'{name}, with "{box[:40]}" {"ticked" if c.is_checked() else "unticked"}')
                page.evaluate(move, [name, key, [not c.is_checked()]])
        page.close()
    return rows

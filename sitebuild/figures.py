"""Pre-rendered figures drawn by the widgets' own JavaScript, under node: one renderer per figure.

A widget's partial (widgets/NAME/NAME.html) holds its controls and an empty `<div class="widget-output">`;
its NAME.js `draw(el, result, params)` draws the figure. The page's runtime calls draw with the result
computed in the browser; the build calls the same draw on CPython's result, in a jsdom document
(sitebuild/draw_figures.mjs), and ships what it drew. Readers without JavaScript get the complete
figure, and the static and live figures cannot drift apart: there is no second copy to keep in step.
"""

import json
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).with_name("draw_figures.mjs")


def draw_figures(figures: list[str], scripts: dict[str, Path], tokens_js: Path, root: Path) -> list[str]:
    """[html of a <figure class="widget">] -> [its .widget-body's html after the widget's draw()].

    scripts: widget name -> its NAME.js; tokens_js: the shared chip and SVG helpers the widgets use;
    root: the folder whose node_modules holds jsdom (npm ci installs it).
    """
    if not figures:
        return []
    if not (root / "node_modules" / "jsdom").exists():
        raise FileNotFoundError(f"{root / 'node_modules' / 'jsdom'} missing: run `npm ci` first")
    job = {
        "tokens": str(tokens_js),
        "scripts": {name: str(p) for name, p in sorted(scripts.items())},
        "figures": figures,
    }
    proc = subprocess.run(["node", str(SCRIPT)], input=json.dumps(job), capture_output=True, text=True, cwd=root)
    if proc.returncode != 0:
        raise RuntimeError("drawing the pre-rendered figures failed:\n" + proc.stderr.strip()[-3000:])
    drawn = json.loads(proc.stdout)
    assert len(drawn) == len(figures)
    return drawn

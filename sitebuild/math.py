"""Math in chapters: `$...$` (inline) and `$$...$$` (display) rendered to HTML by KaTeX at build time.

Pages ship only KaTeX's stylesheet and fonts, no JavaScript: the formulas are HTML (with MathML for
screen readers) before the page reaches the reader. KaTeX comes from the npm package and runs under
node, once per Markdown text that holds math.

Math is cut out of the Markdown before Markdown sees it (so `_` and `*` inside formulas stay TeX) and
put back after, in place of alphanumeric placeholders. Code spans and fenced code keep their dollars.
"""

import json
import re
import subprocess
from pathlib import Path

# Fenced code, inline code, display math, inline math; the first two are only skipped.
TOKEN_RE = re.compile(
    r"(?P<fence>^```.*?^```[ \t]*$)"
    r"|(?P<code>`+[^`\n]*?`+)"
    r"|(?P<display>\$\$(?P<dtex>.+?)\$\$)"
    r"|(?P<inline>(?<![\\$\w])\$(?=\S)(?P<itex>[^$\n]+?)(?<=\S)\$(?![\w$]))",
    re.S | re.M,
)

RENDER_JS = """
const katex = require(process.argv[1]);
let input = "";
process.stdin.on("data", (d) => { input += d; });
process.stdin.on("end", () => {
  const out = JSON.parse(input).map(([tex, display]) => {
    try {
      return { html: katex.renderToString(tex, { displayMode: display, throwOnError: true, output: "htmlAndMathml" }) };
    } catch (e) {
      return { error: String(e.message || e) };
    }
  });
  process.stdout.write(JSON.stringify(out));
});
"""


def placeholder(i: int) -> str:
    return f"GLASSBOXMATH{i}END"


def extract_math(text: str) -> tuple[str, list[tuple[str, bool]]]:
    """Markdown -> (Markdown with placeholders, [(tex, display)]).

    "a $x^2$ b" -> ("a GLASSBOXMATH0END b", [("x^2", False)]). A display formula becomes a paragraph of
    its own, so it can be put back as a block.
    """
    found: list[tuple[str, bool]] = []

    def swap(m: re.Match) -> str:
        if m.group("fence") or m.group("code"):
            return m.group(0)
        display = m.group("display") is not None
        found.append(((m.group("dtex") if display else m.group("itex")).strip(), display))
        mark = placeholder(len(found) - 1)
        return f"\n\n{mark}\n\n" if display else mark

    return TOKEN_RE.sub(swap, text), found


def render(formulas: list[tuple[str, bool]], node_modules: Path) -> list[dict]:
    """[(tex, display)] -> [{"html": ...} or {"error": message}], by KaTeX under node."""
    if not formulas:
        return []
    katex = node_modules / "katex"
    if not katex.exists():
        raise FileNotFoundError(f"{katex} missing: run `npm ci` first")
    proc = subprocess.run(["node", "-e", RENDER_JS, str(katex.resolve())], input=json.dumps(formulas),
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def restore(html: str, rendered: list[dict]) -> str:
    """Put rendered formulas back in place of their placeholders."""
    for i, r in enumerate(rendered):
        mark = placeholder(i)
        block = f'<div class="math-display">{r["html"]}</div>'
        html = html.replace(f"<p>{mark}</p>", block).replace(mark, r["html"])
    return html

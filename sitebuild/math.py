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
    proc = subprocess.run(
        ["node", "-e", RENDER_JS, str(katex.resolve())],
        input=json.dumps(formulas),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)


# An opening bracket or quote right before an inline formula, closing punctuation right after it.
BEFORE = r"(?:[(\[]|&[lr]dquo;|&lsquo;)"
AFTER = r"(?:[.,;:!?)\]]|&rsquo;|&rdquo;)+"
NOWRAP_MAX_TEX = 40  # longer formulas keep the line breaks KaTeX allows inside them


def restore(html: str, rendered: list[dict], formulas: list[tuple[str, bool]] | None = None) -> str:
    """Put rendered formulas back in place of their placeholders.

    Browsers may break a line between an inline formula and a bracket or punctuation mark touching it,
    leaving "(" at the end of a line or "." at the start of the next: a short formula is glued to them
    in a <span class="math-nowrap">.
    """
    for i, r in enumerate(rendered):
        mark = placeholder(i)
        block = f'<div class="math-display">{r["html"]}</div>'
        html = html.replace(f"<p>{mark}</p>", block)
        if formulas is None or len(formulas[i][0]) <= NOWRAP_MAX_TEX:
            html = re.sub(
                f"({BEFORE}?){mark}({AFTER})?",
                lambda m, h=r["html"]: (
                    f'<span class="math-nowrap">{m.group(1)}{h}{m.group(2) or ""}</span>'
                    if m.group(1) or m.group(2)
                    else h
                ),
                html,
            )
        html = html.replace(mark, r["html"])
    return html

"""The static build: pages, determinism, strict-mode errors, sub-path serving."""

import json
import os
import re
import shutil
import subprocess
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

import build
from sitebuild.prose import link_arxiv, markdown_to_html
from sitebuild.chapters import SourceError
from sitebuild.serve import serve_in_thread

ROOT = Path(build.__file__).resolve().parent


def chapter_files():
    return [build.parse_chapter(p) for p in sorted(build.Options().chapters.glob("*.md"))]


def test_every_chapter_and_the_index_are_built(site):
    chapters = chapter_files()
    assert chapters, "no chapters"
    assert (site / "index.html").exists()
    index = (site / "index.html").read_text()
    for ch in chapters:
        page = (site / ch.filename).read_text()
        assert f"<h1>{ch.title}</h1>" in page
        assert ch.level in page and f'href="{ch.filename}"' in index


def test_widgets_are_prerendered_with_their_state(site):
    widgets = build.load_widgets(build.Options().widgets)
    seen = set()
    for page in site.glob("*.html"):
        text = page.read_text()
        for m in re.finditer(r'<figure class="widget" id="[^"]+" data-widget="(\w+)" data-state="static"', text):
            seen.add(m.group(1))
        for m in re.finditer(r'<script type="application/json" class="widget-data">(.*?)</script>', text, re.S):
            state = json.loads(m.group(1))
            assert set(state) == {"params", "result"}
    assert seen == set(widgets), f"widgets never placed in a chapter: {set(widgets) - seen}"


def test_vendored_runtime_is_pinned_and_present(site):
    manifest = json.loads((ROOT / "site" / "vendor-manifest.json").read_text())
    import hashlib

    for rel, digest in manifest.items():
        assert hashlib.sha256((site / rel).read_bytes()).hexdigest() == digest, rel
    lock = json.loads((site / "pyodide" / "pyodide-lock.json").read_text())
    assert lock["info"]["version"] == "0.27.7"
    entry = lock["packages"]["llm-core"]
    assert entry["depends"] == ["numpy"]
    assert hashlib.sha256((site / "pyodide" / entry["file_name"]).read_bytes()).hexdigest() == entry["sha256"]
    # numpy's entry is the official one, and the wheel we ship matches it
    numpy = lock["packages"]["numpy"]
    assert hashlib.sha256((site / "pyodide" / numpy["file_name"]).read_bytes()).hexdigest() == numpy["sha256"]


def test_build_is_deterministic(site, tmp_path):
    again = tmp_path / "again"
    build.build(build.Options(out=again, strict=True, work=tmp_path / "work"))
    first = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    second = {p.relative_to(again).as_posix(): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert sorted(first) == sorted(second)
    different = [k for k in first if first[k] != second[k]]
    assert not different, f"files differ between two builds: {different}"


class Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            # A link a reader may follow to a source (a paper, a model card) is not something the page loads.
            if tag == "a" and k == "href" and v and v.startswith("https://"):
                continue
            if k in ("href", "src") and v:
                self.refs.append(v)


def test_only_relative_urls_and_everything_resolves_under_a_sub_path(site):
    server, base = serve_in_thread(site, prefix="/glassbox/")
    try:
        assert base.endswith("/glassbox/")
        for page in sorted(site.glob("*.html")):
            text = page.read_text()
            p = Refs()
            p.feed(text)
            for ref in p.refs:
                assert not re.match(r"^(https?:)?//|^/", ref), f"{page.name}: non-relative URL {ref}"
                target = ref.split("#")[0]
                if target:
                    with urllib.request.urlopen(base + target) as r:
                        assert r.status == 200, ref
            # the worker's URLs come from data attributes, resolved against the page
            for attr in ("data-pyodide-index", "data-wheel"):
                value = re.search(rf'{attr}="([^"]*)"', text).group(1)
                assert not re.match(r"^(https?:)?//|^/", value)
        # and the site root really is not served outside the prefix
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(base.replace("/glassbox/", "/index.html"))
    finally:
        server.shutdown()


def test_pyodide_cdn_option_points_the_runtime_at_the_cdn(tmp_path):
    cdn = "https://cdn.example.org/pyodide/v0.27.7/full/"
    out = tmp_path / "cdn"
    build.build(build.Options(out=out, strict=True, pyodide_cdn=cdn, work=tmp_path / "work"))
    assert not (out / "pyodide" / "pyodide.asm.wasm").exists()
    assert list((out / "pyodide").glob("llm_core-*.whl"))
    page = (out / "index.html").read_text()
    assert f'data-pyodide-index="{cdn}"' in page and 'data-pyodide-cdn="true"' in page


# -- strict mode: errors name the file and line -------------------------------------------------

GOOD_FRONT = "---\ntitle: T\nslug: t\norder: 1\nlevel: Beginner\nsummary: S\n---\n"


def mini_site(tmp_path: Path, chapter_text: str) -> build.Options:
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    (chapters / "01-t.md").write_text(chapter_text)
    return build.Options(
        out=tmp_path / "out", strict=True, chapters=chapters, widgets=build.Options().widgets, work=tmp_path / "work"
    )


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("no front matter\n", 1, "front matter missing"),
        ("---\ntitle: T\nslug: t\norder: 1\nlevel: Beginner\n---\n", 1, "lacks 'summary'"),
        ("---\ntitle: T\nslug: t\norder: one\nlevel: Beginner\nsummary: S\n---\n", 4, "order must be"),
        ("---\ntitle: T\nslug: t\norder: 1\nlevel: Expert\nsummary: S\n---\n", 5, "level must be"),
        ("---\ntitle: T\nslug: Bad Slug\norder: 1\nlevel: Beginner\nsummary: S\n---\n", 3, "slug"),
        (
            "---\ntitle: T\nslug: t\norder: 1\nlevel: Beginner\nsummary: S\ncolour: red\n---\n",
            7,
            "unknown front matter",
        ),
        (GOOD_FRONT + "\nText.\n\n::: widget no_such_widget\nCaption\n:::\n", 11, "unknown widget 'no_such_widget'"),
        (GOOD_FRONT + "\n::: widget tokenizer_compare {not json}\n:::\n", 9, "not valid JSON"),
        (GOOD_FRONT + '\n::: widget tokenizer_compare {"nope": 1}\n:::\n', 9, "no parameter 'nope'"),
        (GOOD_FRONT + "\n::: takeaway\nnever closed\n", 9, "never closed"),
        (GOOD_FRONT + "\n::: sidebar\n:::\n", 9, "unknown directive"),
        (GOOD_FRONT + "\n::: check\nQ: a?\nA: b.\n:::\n", 9, "needs at least 3 questions"),
        (GOOD_FRONT + "\n::: check\nQ: a?\nQ: b?\n:::\n", 10, "question without an answer"),
        (GOOD_FRONT + "\n::: check\nQ: a?\nA: b.\nA: c.\n:::\n", 12, "answer without a question"),
        (GOOD_FRONT + "\n::: check\nIntro text\nQ: a?\n:::\n", 10, "only 'Q:' and 'A:' lines"),
        (GOOD_FRONT + "\n::: check 3\n:::\n", 9, "takes no arguments"),
        (GOOD_FRONT + "\n" + "::: check\nQ: a?\nA: b.\nQ: c?\nA: d.\nQ: e?\nA: f.\n:::\n\n" * 2, 18, "one '::: check'"),
    ],
)
def test_strict_build_names_file_and_line(tmp_path, text, line, message):
    options = mini_site(tmp_path, text)
    with pytest.raises(SourceError) as err:
        build.build(options)
    assert f"01-t.md:{line}:" in str(err.value)
    assert message in str(err.value)
    assert not options.out.exists(), "nothing may be written when the build fails"


@pytest.mark.parametrize(
    "link, message",
    [
        ("[x](missing.html)", "broken link missing.html"),
        ("[x](#no-such-heading)", "broken anchor #no-such-heading"),
        ("[x](index.html#nowhere)", "broken anchor index.html#nowhere"),
        ("![x](https://example.com/a.png)", "loads from outside the site"),
        ("[x](/index.html)", "root-absolute"),
    ],
)
def test_strict_build_fails_on_broken_links_and_anchors(tmp_path, link, message):
    options = mini_site(tmp_path, GOOD_FRONT + "\n## Heading\n\nSome text\nand " + link + " here.\n")
    with pytest.raises(SystemExit) as err:
        build.build(options)
    assert "01-t.md:12:" in str(err.value) and message in str(err.value)


def test_valid_links_and_anchors_pass(tmp_path):
    # Links to sources elsewhere are fine (a reader follows them); loading from elsewhere is not.
    options = mini_site(
        tmp_path,
        GOOD_FRONT + "\n## Heading\n\nSee [above](#heading), [home](index.html#chapters)"
        " and [a paper](https://arxiv.org/abs/2203.15556).\n",
    )
    build.build(options)
    assert (options.out / "t.html").exists()


def test_math_is_rendered_to_html_at_build_time(tmp_path):
    text = (
        GOOD_FRONT + "\n## Softmax\n\nWith temperature $T$: $p_i = e^{z_i/T} / \\sum_j e^{z_j/T}$,"
        " which costs $5 and $10 nothing. Code keeps `$x$`.\n\n$$H(p) = -\\sum_i p_i \\log p_i$$\n"
    )
    options = mini_site(tmp_path, text)
    build.build(options)
    page = (options.out / "t.html").read_text()
    assert page.count('class="katex"') == 3 and 'class="math-display"' in page
    assert "<math" in page, "MathML for screen readers"
    assert "\\sum" not in page.split("<body")[1].replace("<annotation", "\0").split("\0")[0]
    assert "$5 and $10" in page and "<code>$x$</code>" in page
    assert 'href="static/katex/katex.min.css"' in page
    assert (options.out / "static" / "katex" / "fonts" / "KaTeX_Main-Regular.woff2").exists()
    # a short formula stays on one line with the punctuation touching it: no "," alone at a line start
    assert re.search(r'<span class="math-nowrap"><span class="katex">.*?</span>,</span>', page)


def test_short_formulas_are_glued_to_brackets_and_punctuation():
    from sitebuild.math import placeholder, restore

    html = f"<p>a ({placeholder(0)}), b {placeholder(1)} c &ldquo;{placeholder(2)}&rdquo;.</p>"
    out = restore(
        html, [{"html": "<M0>"}, {"html": "<M1>"}, {"html": "<M2>"}], [("x", False), ("y", False), ("z" * 60, False)]
    )
    assert out == '<p>a <span class="math-nowrap">(<M0>),</span> b <M1> c &ldquo;<M2>&rdquo;.</p>'


def test_bad_math_names_file_and_line(tmp_path):
    options = mini_site(tmp_path, GOOD_FRONT + "\nFine.\n\nBroken: $\\frac{1}{$ here.\n")
    with pytest.raises(SourceError) as err:
        build.build(options)
    assert "01-t.md:11:" in str(err.value) and "math does not render" in str(err.value)


def test_every_page_is_valid_html(site):
    """The Nu HTML Checker (npm vnu-jar, run with the system Java) reports no errors on the built site."""
    java, jar = shutil.which("java"), ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    if not java or not jar.exists():
        if os.environ.get("GLASSBOX_REQUIRE_BROWSER"):
            pytest.fail("the HTML check needs Java and node_modules/vnu-jar (npm ci)")
        pytest.skip("no Java or vnu.jar here: the HTML check is skipped")
    out = subprocess.run(
        [java, "-jar", str(jar), "--errors-only", "--skip-non-html", "--format", "gnu", str(site)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr.replace(str(site) + "/", "")


def test_arxiv_citations_become_links_except_in_links_and_code():
    html = '<p>arXiv:2203.15556, <a href="x">arXiv:1706.03762</a>, <code>arXiv:2001.08361</code></p>'
    assert link_arxiv(html) == (
        '<p><a href="https://arxiv.org/abs/2203.15556">arXiv:2203.15556</a>, '
        '<a href="x">arXiv:1706.03762</a>, <code>arXiv:2001.08361</code></p>'
    )


def test_the_server_gzips_text_like_github_pages_and_revalidates(site):
    import gzip

    server, base = serve_in_thread(site, prefix="/glassbox/")
    try:

        def get(path, **headers):
            return urllib.request.urlopen(urllib.request.Request(base + path, headers=headers))

        with get("index.html", **{"Accept-Encoding": "gzip"}) as r:
            assert r.headers["Content-Encoding"] == "gzip" and r.headers["Vary"] == "Accept-Encoding"
            assert gzip.decompress(r.read()) == (site / "index.html").read_bytes()
            modified = r.headers["Last-Modified"]
        with get("index.html") as r:  # a client that does not ask for gzip gets the plain file
            assert r.headers["Content-Encoding"] is None and r.read() == (site / "index.html").read_bytes()
        wasm = next(site.rglob("*.wasm")).relative_to(site).as_posix()
        with get(wasm, **{"Accept-Encoding": "gzip"}) as r:  # binary files are sent as they are
            assert r.headers["Content-Encoding"] is None
        with pytest.raises(urllib.error.HTTPError) as not_modified:
            get("index.html", **{"Accept-Encoding": "gzip", "If-Modified-Since": modified})
        assert not_modified.value.code == 304
    finally:
        server.shutdown()


def test_inline_code_keeps_a_leading_space_as_commonmark_does():
    """` Hello` (a token with its space) is not `Hello`: only a space at both ends is stripped, one each."""
    html, _, _ = markdown_to_html("` Hello` is not `Hello`; `` `x` `` and ` `")
    dot = '<span class="code-space">·</span>'  # an edge space, drawn as the widgets draw one
    assert html == (
        f"<p><code>{dot}Hello</code> is not <code>Hello</code>; <code>`x`</code> and <code>{dot}</code></p>"
    )


CHECK = (
    "::: check\nQ: Set x to 1:\nwhat is y?\nA: `2`, because\n$y = 2x$.\nQ: And z?\nA: 3.\nQ: Why?\nA: Because.\n:::\n"
)


def test_check_yourself_renders_each_answer_in_a_details(tmp_path):
    options = mini_site(tmp_path, GOOD_FRONT + "\n## Heading\n\nText.\n\n" + CHECK)
    build.build(options)
    page = (options.out / "t.html").read_text()
    section = page.split('<section class="check"')[1].split("</section>")[0]
    assert '<h2 id="check-yourself">Check yourself</h2>' in section
    assert section.count("<summary>Show the answer</summary>") == 3 and section.count("<li") == 3
    assert "what is y?" in section and "<code>2</code>" in section and 'class="katex"' in section
    assert '<a href="#check-yourself">Check yourself</a>' in page  # listed under "On this page"
    q = build.parse_chapter(tmp_path / "chapters" / "01-t.md").blocks[0].questions
    assert [(x.line, x.question, x.answer) for x in q][0] == (14, "Set x to 1:\nwhat is y?", "`2`, because\n$y = 2x$.")


# Chapters whose "check yourself" section is still to be written (issue 14, point 4): this list only shrinks.
CHECK_TO_WRITE: set[str] = set()


def test_every_chapter_ends_with_three_to_five_questions():
    missing = set()
    for ch in chapter_files():
        checks = [b for b in ch.blocks if b.kind == "check"]
        if not checks:
            missing.add(ch.slug)
            continue
        assert 3 <= len(checks[0].questions) <= 5, f"{ch.path.name}: {len(checks[0].questions)} questions"
    assert missing <= CHECK_TO_WRITE, f"chapters without a check yourself section: {sorted(missing - CHECK_TO_WRITE)}"
    assert not CHECK_TO_WRITE - missing, (
        f"written now, take them off CHECK_TO_WRITE: {sorted(CHECK_TO_WRITE - missing)}"
    )


def test_previous_next_and_reading_time_follow_the_chapter_order(site):
    """Derived, never written by hand: each page's links go to its neighbours in order, the first back to
    the contents, the last nowhere further; its reading time is its prose's words at 220 a minute, the same
    on the page and on the contents."""
    chapters = sorted(chapter_files(), key=lambda ch: ch.order)
    index = (site / "index.html").read_text()
    for n, ch in enumerate(chapters):
        page = (site / ch.filename).read_text()
        nav = page.split('<nav class="prev-next"')[1].split("</nav>")[0]
        prev = re.search(r'<a class="prev" href="([^"]+)"', nav)[1]
        assert prev == (chapters[n - 1].filename if n else "index.html"), ch.filename
        nxt = re.search(r'<a class="next" href="([^"]+)" rel="next"><span>Next</span> ([^<]+)</a>', nav)
        if n + 1 < len(chapters):
            assert nxt and (nxt[1], nxt[2]) == (chapters[n + 1].filename, chapters[n + 1].title), ch.filename
        else:
            assert nxt is None, f"the last chapter, {ch.filename}, links to a next one"
        prose = re.sub(r"^:::.*?^:::$", "", ch.source.split("\n---\n", 1)[1], flags=re.S | re.M)
        minutes = max(1, -(-len(re.findall(r"\w+", prose)) // 220))
        shown = int(re.search(r'<span class="reading-time">(\d+) min read</span>', page)[1])
        assert abs(shown - minutes) <= 1, f"{ch.filename}: {shown} min read, its prose is {minutes}"
        card = index.split(f'href="{ch.filename}"')[1].split("</li>")[0]
        assert f"{shown} min read" in card, ch.filename

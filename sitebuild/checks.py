"""The strict build's checks over the finished site: every internal link and #anchor resolves, nothing
is loaded from another origin, no root-absolute URL (the site must work under any sub-path); every result
the search index offers links to a page and an anchor that exist."""

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from sitebuild.chapters import Chapter, line_of


class LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (how it is used: "follow" | "load", URL)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if attrs.get("href"):
            self.links.append(("follow" if tag == "a" else "load", attrs["href"]))
        if attrs.get("src"):
            self.links.append(("load", attrs["src"]))


def check_links(files: dict[str, bytes], chapters: list[Chapter], root: Path) -> list[str]:
    """Broken internal links and anchors, each named by source file and line where possible."""
    parsed = {}
    for rel, data in files.items():
        if rel.endswith(".html"):
            p = LinkCollector()
            p.feed(data.decode("utf-8"))
            parsed[rel] = p
    by_page = {ch.filename: ch for ch in chapters}
    errors = []
    for rel, p in sorted(parsed.items()):
        for use, link in p.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                # A reader may follow a link to a source; the page itself never loads from elsewhere.
                if use == "load":
                    errors.append(f"{where(rel, link, by_page, root)}: page loads from outside the site: {link}")
                continue
            if link.startswith("/"):
                errors.append(f"{where(rel, link, by_page, root)}: root-absolute URL breaks sub-path hosting: {link}")
                continue
            target = rel if not parts.path else resolve(rel, parts.path)
            if target not in files:
                errors.append(f"{where(rel, link, by_page, root)}: broken link {link} (no {target} in the site)")
            elif parts.fragment and target in parsed and parts.fragment not in parsed[target].ids:
                errors.append(
                    f"{where(rel, link, by_page, root)}: broken anchor {link} (no id={parts.fragment!r} in {target})"
                )
    errors += check_search_index(files, parsed)
    return errors


def check_search_index(files: dict[str, bytes], parsed: dict[str, LinkCollector]) -> list[str]:
    """Every result the search box can show links to a page of the site and an id it has."""
    if "search-index.json" not in files:
        return []
    errors = []
    for kind, title, url, *_ in json.loads(files["search-index.json"])["entries"]:
        page, _, anchor = url.partition("#")
        if page not in files:
            errors.append(f"search-index.json: {kind} {title!r} links to {url}: no {page} in the site")
        elif anchor and page in parsed and anchor not in parsed[page].ids:
            errors.append(f"search-index.json: {kind} {title!r} links to {url}: no id={anchor!r} in {page}")
    return errors


def resolve(page: str, path: str) -> str:
    parts = page.split("/")[:-1]
    for seg in path.split("/"):
        if seg == "..":
            parts = parts[:-1]
        elif seg not in ("", "."):
            parts.append(seg)
    target = "/".join(parts)
    return target + "index.html" if path.endswith("/") or not target else target


def where(page: str, link: str, by_page: dict[str, Chapter], root: Path) -> str:
    ch = by_page.get(page)
    if ch:
        return f"{ch.path.relative_to(root) if ch.path.is_relative_to(root) else ch.path}:{line_of(ch, link)}"
    return f"_site/{page}"

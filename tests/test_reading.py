"""The built book as a reader meets it: every page of ``_build/html`` opened in headless
Chromium, served from 127.0.0.1 with every other address blocked (the book must work
offline: MathJax comes from the sphinx-mathjax-offline package, not a CDN).

Each page must be in the table of contents, its internal links and anchors must lead
somewhere, its images must load and carry alt text that describes them, its console must
stay free of JavaScript errors, its math must typeset, its code cells and tables must fit
the text column, and its figures must sit on the white card of the course's figure style.
A chapter that runs code offers its executed notebook (.ipynb) for download.

A screenshot of each page (the whole page in light, its first screen in dark) is kept in
``_build/screenshots/`` for a person to look at. Build the book first (``make book``; ``make test`` builds it just before).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

from grader.pipeline import ROOT
from tests.browser import chromium, serve

HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
# A laptop's window (a 13-inch one's usual size): the text column beside the tables of
# contents is then as wide as the theme makes it (_ext/static/course.css fits the course's
# 100-character code lines into it).
VIEWPORT = {"width": 1440, "height": 900}
FILE_NAME = re.compile(r"[\w.-]+\.(png|jpe?g|svg|gif|webp)\b", re.I)
MIN_ALT_WORDS = 4

# Everything a page tells the test, read in the page once it has loaded and typeset its math.
INSPECT = """async () => {
  await Promise.all([...document.images].map(img => {
    img.loading = "eager"; return img.decode().catch(() => null); }));
  const math = {loaded: false};
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
    math.loaded = true;
  }
  const formulas = [...document.querySelectorAll("span.math, div.math")];
  math.count = formulas.length;
  math.raw = formulas.filter(m => !m.querySelector("mjx-container"))
                     .map(m => m.textContent.trim().slice(0, 80));
  math.errors = [...document.querySelectorAll("mjx-merror, [data-mjx-error]")]
      .map(e => (e.getAttribute("data-mjx-error") || e.textContent).slice(0, 120));
  const article = document.querySelector(".bd-article") || document.body;
  const wide = [];
  for (const pre of article.querySelectorAll("pre")) {
    if (pre.scrollWidth > pre.clientWidth + 1) {
      const longest = pre.textContent.split("\\n").reduce((a, b) => b.length > a.length ? b : a, "");
      wide.push({what: pre.closest(".cell_output") ? "code cell output" : "code",
                 by: pre.scrollWidth - pre.clientWidth, text: longest.trim().slice(0, 90)});
    }
  }
  for (const table of article.querySelectorAll("table")) {
    const box = table.closest(".pst-scrollable-table-container, .output") || table.parentElement;
    const over = Math.max(table.scrollWidth, table.getBoundingClientRect().width) - box.clientWidth;
    if (over > 1) {
      const head = (table.querySelector("tr") || table).textContent.replace(/\\s+/g, " ");
      wide.push({what: "table", by: Math.round(over), text: head.trim().slice(0, 90)});
    }
  }
  const card = img => {
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
    const ctx = canvas.getContext("2d"); ctx.drawImage(img, 0, 0);
    return Array.from(ctx.getImageData(2, 2, 1, 1).data);
  };
  return {
    url: location.href,
    title: document.title,
    columnWidth: article.clientWidth,
    ids: [...document.querySelectorAll("[id]")].map(e => e.id)
         .concat([...document.querySelectorAll("a[name]")].map(a => a.name)),
    links: [...document.querySelectorAll("a[href]")].map(a => a.href),
    nav: [...document.querySelectorAll("nav.bd-docs-nav a.reference.internal, .navbar-brand")]
         .map(a => a.href),
    downloads: [...document.querySelectorAll("a[href$='.ipynb']")].map(a => a.href),
    images: [...document.images].map(img => ({
      src: img.currentSrc || img.src, alt: img.getAttribute("alt"),
      loaded: img.complete && img.naturalWidth > 0,
      content: !!img.closest(".bd-article"),
      figure: img.closest(".cell_output") && img.complete && img.naturalWidth > 0 ? card(img) : null,
    })),
    math, wide,
  };
}"""


REDIRECT = re.compile(r'<meta http-equiv="Refresh" content="0; url=([^"]+)"', re.I)


def _html() -> list[Path]:
    """Every HTML file of the built book (not the theme's assets)."""
    skip = {"_static", "_sources", "_images"}
    return sorted(p for p in HTML.rglob("*.html") if not skip & set(p.relative_to(HTML).parts))


def _redirects() -> dict[Path, Path]:
    """The pages that only send the browser on (index.html), and where to."""
    found = {}
    for path in _html():
        match = REDIRECT.search(path.read_text(errors="replace")[:2000])
        if match:
            found[path] = (path.parent / unquote(match.group(1))).resolve()
    return found


def _pages() -> list[Path]:
    """The pages a reader reads."""
    return [p for p in _html() if p not in _redirects()]


def _chapters() -> list[str]:
    return sorted(f"book/{p.stem}" for p in (ROOT / "book").glob("*.md"))


@pytest.fixture(scope="module")
def book():
    """Visit every page once; return {page: what it showed}, plus the requests that left
    127.0.0.1 and what the console said."""
    if not (HTML / "index.html").exists():
        pytest.fail(f"no built book in {HTML}: run `make book` first", pytrace=False)
    SHOTS.mkdir(parents=True, exist_ok=True)
    seen, outside, console = {}, [], {}
    with serve(HTML) as base, chromium() as browser:
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme)

            def route(route, request):
                if request.url.startswith((base, "data:", "blob:")):
                    route.continue_()
                else:
                    outside.append(request.url)
                    route.abort()

            context.route("**/*", route)
            page = context.new_page()
            errors = []          # what the console says about the page being visited
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda x: errors.append(str(x)))
            page.on("requestfailed", lambda r: errors.append(f"failed to load {r.url}"))
            for path in _pages():
                name = str(path.relative_to(HTML).with_suffix(""))
                errors.clear()
                page.goto(base + path.relative_to(HTML).as_posix(), wait_until="load")
                if scheme == "light":
                    seen[name] = page.evaluate(INSPECT)
                else:
                    page.evaluate("async () => { if (window.MathJax && MathJax.startup) "
                                  "await MathJax.startup.promise; }")
                shot = SHOTS / scheme / f"{name.replace('/', '-')}.jpg"
                shot.parent.mkdir(exist_ok=True)
                # JPEG: a chapter is some 15,000 pixels tall, and PNG takes twice as long; the
                # whole page in light, its first screen in dark (the colours, not the content)
                page.screenshot(path=shot, full_page=scheme == "light", type="jpeg", quality=85)
                console.setdefault(name, []).extend(f"({scheme}) {e}" for e in errors)
            context.close()
    (SHOTS / "report.json").write_text(json.dumps(seen, indent=1))
    return {"pages": seen, "outside": sorted(set(outside)), "console": console, "base": base}


def _where(url):
    """(file under _build/html, fragment) that an URL of the served book points at."""
    plain, fragment = urldefrag(url)
    path = unquote(urlparse(plain).path).lstrip("/")
    target = HTML / path
    if path == "" or target.is_dir():
        target = target / "index.html"
    return target, fragment


def test_every_chapter_is_a_page_in_the_table_of_contents(book):
    for name, page in book["pages"].items():
        if not name.startswith("book/"):
            continue
        listed = {str(_where(u)[0].relative_to(HTML).with_suffix("")) for u in page["nav"]}
        missing = sorted(set(_chapters()) - listed)
        assert not missing, f"{name}: its table of contents does not list {missing}"
    pages = {n for n in book["pages"] if n.startswith("book/")}
    assert pages == set(_chapters()), (
        f"pages built {sorted(pages)} but chapters in book/ {_chapters()}")


def test_internal_links_and_anchors_lead_somewhere(book):
    broken = [f"{page.name} sends the browser to missing {target}"
              for page, target in _redirects().items() if not target.exists()]
    for name, page in book["pages"].items():
        for url in page["links"]:
            if not url.startswith(book["base"]):
                continue
            target, fragment = _where(url)
            if not target.exists():
                broken.append(f"{name}: link to missing {target.relative_to(HTML)}")
                continue
            key = str(target.relative_to(HTML).with_suffix(""))
            if fragment and key in book["pages"] and fragment not in book["pages"][key]["ids"]:
                broken.append(f"{name}: link to {key}#{fragment}, an anchor that is not there")
    assert not broken, "\n".join(sorted(set(broken)))


def test_images_load_and_have_alt_text_that_describes_them(book):
    problems = []
    for name, page in book["pages"].items():
        for image in page["images"]:
            src = image["src"].rsplit("/", 1)[-1]
            if not image["loaded"]:
                problems.append(f"{name}: image {src} does not load")
            if not image["content"]:
                continue
            alt = (image["alt"] or "").strip()
            if FILE_NAME.search(alt) or len(alt.split()) < MIN_ALT_WORDS:
                problems.append(f"{name}: image {src} has alt text {alt!r}: describe the figure "
                                f"(in a code cell's metadata: mystnb: image: alt: ...)")
    assert not problems, "\n".join(problems)


def test_no_javascript_errors_and_nothing_fetched_from_outside(book):
    errors = [f"{name}: {message}" for name, messages in book["console"].items()
              for message in messages]
    assert not book["outside"], ("the book asked for addresses outside itself (it must work "
                                 f"offline): {book['outside']}")
    assert not errors, "\n".join(errors)


def test_math_typesets_offline(book):
    problems, formulas = [], 0
    for name, page in book["pages"].items():
        math = page["math"]
        formulas += math["count"]
        if math["count"] and not math["loaded"]:
            problems.append(f"{name}: {math['count']} formulas but MathJax did not load")
        problems += [f"{name}: formula not typeset: {raw}" for raw in math["raw"]]
        problems += [f"{name}: MathJax error: {error}" for error in math["errors"]]
    assert formulas, "no formula found in the whole book: is the math still marked up?"
    assert not problems, "\n".join(problems)


def test_math_typesets_from_the_files_alone(book):
    """A reader on a train opens _build/html/*.html from disk (file://), no server, no network:
    the page with the most formulas typesets them all."""
    name = max(book["pages"], key=lambda n: book["pages"][n]["math"]["count"])
    with chromium() as browser:
        page = browser.new_page()
        page.route("**/*", lambda route, request: route.continue_()
                   if request.url.startswith(("file:", "data:")) else route.abort())
        page.goto((HTML / f"{name}.html").as_uri(), wait_until="load")
        typeset = page.evaluate("""async () => { await MathJax.startup.promise;
          return [...document.querySelectorAll("span.math, div.math")]
              .filter(m => m.querySelector("mjx-container")).length; }""")
    assert typeset == book["pages"][name]["math"]["count"], (
        f"{name} from disk: {typeset} of {book['pages'][name]['math']['count']} formulas typeset")


def test_code_cells_and_tables_fit_the_page(book):
    wide = [f"{name}: {w['what']} {w['by']} px wider than the text column "
            f"({page['columnWidth']} px at a {VIEWPORT['width']} px window): {w['text']!r}"
            for name, page in book["pages"].items() for w in page["wide"]]
    assert not wide, "\n".join(wide)


def test_chapters_find_the_course_style():
    """A chapter run from book/ (by Jupyter Book, or opened there in JupyterLab) reads
    book/matplotlibrc, the course style; make points MATPLOTLIBRC at it for every other run."""
    env = {k: v for k, v in os.environ.items() if k != "MATPLOTLIBRC"}
    found = subprocess.run(
        [sys.executable, "-c", "import matplotlib; print(matplotlib.matplotlib_fname())"],
        cwd=ROOT / "book", env=env, capture_output=True, text=True, check=True)
    assert Path(ROOT / "book" / found.stdout.strip()).resolve() == ROOT / "support" / "matplotlibrc"


def test_figures_use_the_course_style(book):
    """Figures sit on an opaque white card (support/matplotlibrc): readable in dark mode."""
    off = []
    for name, page in book["pages"].items():
        for image in page["images"]:
            rgba = image["figure"]
            if rgba is not None and not (rgba[3] == 255 and min(rgba[:3]) >= 245):
                off.append(f"{name}: {image['src'].rsplit('/', 1)[-1]} corner is {rgba}")
    assert not off, ("figures not drawn in the course style (is MATPLOTLIBRC set, or "
                     "book/matplotlibrc there?):\n" + "\n".join(off))


def test_chapters_that_run_code_offer_their_notebook(book):
    for chapter in _chapters():
        if "{code-cell}" not in (ROOT / f"{chapter}.md").read_text():
            continue
        notebook = _downloaded(book, chapter)
        assert notebook is not None, f"{chapter} offers no .ipynb download"
        outputs = sum(len(c.get("outputs", [])) for c in notebook["cells"])
        assert outputs, f"{chapter}'s downloadable notebook has no outputs"


def _downloaded(book, chapter: str) -> dict | None:
    """The executed notebook a chapter's page offers for download, or None."""
    links = book["pages"].get(chapter, {}).get("downloads")
    return json.loads(_where(links[0])[0].read_text()) if links else None


RAW_DICT = re.compile(r"^\s*\[?\{\s*['\"]\w+['\"]\s*:", re.M)


def test_no_output_is_a_raw_dict(book):
    """A page shows tables and sentences, not the repr of a dict (a `record()` call's return
    value left as a cell's last expression prints the whole figure record)."""
    raw = []
    for chapter in _chapters():
        notebook = _downloaded(book, chapter)
        if notebook is None:
            continue
        for number, cell in enumerate(notebook["cells"]):
            for output in cell.get("outputs", []):
                text = output.get("text") or output.get("data", {}).get("text/plain") or ""
                text = "".join(text) if isinstance(text, list) else text
                if output.get("output_type") != "error" and RAW_DICT.match(text):
                    raw.append(f"{chapter}, cell {number}: {text.strip()[:80]!r}")
    assert not raw, "outputs that print a raw dict:\n" + "\n".join(raw)

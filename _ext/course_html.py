"""Sphinx extension: the course's adjustments to the book's HTML, each checked by
tests/test_reading.py.

- Every chapter that runs code offers its executed notebook (.ipynb, with the outputs the
  book shows) in the page's download menu, beside the .md source and the PDF.
  sphinx-book-theme offers it only when launch buttons (Binder, JupyterHub...) are set, and
  the course has none. So the notebook myst-nb wrote to ``_build/jupyter_execute/`` goes to
  ``_build/html/_sources/``, named in the page context where the menu looks for it, with
  the outputs from the execution cache merged in (myst-nb writes it without them when it
  renders a chapter from the cache).
- Inline scripts appear once per page. Under Sphinx 7.4 an inline script that an extension
  adds once the build has started is written twice; sphinx-thebe's ``const THEBE_JS_URL``
  then throws "Identifier 'THEBE_JS_URL' has already been declared" on every page.
- The theme starts in "auto" mode (light or dark as the reader's system says), instead of
  logging "Got invalid theme mode" on a reader's first visit.
- static/course.css: code cells fit the course's 100-character lines in the text column.
"""
from pathlib import Path

STATIC = Path(__file__).parent / "static"


def offer_notebook(app, pagename, templatename, context, doctree):
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.exists():
        return
    import nbformat
    from jupyter_cache import get_cache

    notebook = nbformat.read(executed, as_version=4)
    if not any(cell.get("outputs") for cell in notebook.cells):
        cache = app.config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache"
        try:
            _, notebook = get_cache(str(cache)).merge_match_into_notebook(notebook)
        except KeyError:            # not executed (a page without code): offered as it is
            pass
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def inline_scripts_once(app, pagename, templatename, context, doctree):
    seen, scripts = set(), []
    for script in context.get("script_files", []):
        body = getattr(script, "attributes", {}).get("body")
        if body and body in seen:
            continue
        seen.add(body)
        scripts.append(script)
    context["script_files"] = scripts


def theme_defaults(app, config):
    config.html_context.setdefault("default_mode", "auto")        # read by the theme's layout
    config.html_static_path.append(str(STATIC))


def setup(app):
    app.connect("config-inited", theme_defaults)
    # before the theme's header buttons (priority 501), which read ipynb_source
    app.connect("html-page-context", offer_notebook, priority=499)
    app.connect("html-page-context", inline_scripts_once, priority=900)
    app.add_css_file("course.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}

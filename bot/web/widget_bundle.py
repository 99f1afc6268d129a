"""The rasa-webchat bundle as installed by ``npm ci`` (node_modules/rasa-webchat/lib/index.js), made offline-safe.

We never copy the widget into the repository: the page server reads the installed bundle at start-up. Its
CSS (injected by JavaScript) begins with ``@import url(https://fonts.googleapis.com/...)``; we drop such
external ``@import`` rules when serving, so the browser does not even try to fetch a web font (our
stylesheet gives the widget the system font instead). The Content-Security-Policy would block the fetch
anyway; removing it keeps the page quiet and the network log clean.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
WIDGET_BUNDLE = REPO_ROOT / "node_modules" / "rasa-webchat" / "lib" / "index.js"

# An @import of an absolute http(s) URL inside the bundle's CSS strings, e.g.
# @import url(https://fonts.googleapis.com/css?family=Inter:400,500,700&display=swap);
EXTERNAL_CSS_IMPORT = re.compile(r"@import\s+url\(\s*['\"]?https?://[^)'\"]*['\"]?\s*\)\s*;?")


class WidgetBundleMissing(RuntimeError):
    pass


def strip_external_css_imports(bundle_text: str) -> tuple[str, int]:
    """The bundle without its external CSS @import rules, and how many were removed."""
    return EXTERNAL_CSS_IMPORT.subn("", bundle_text)


def load_widget_bundle(path: Path = WIDGET_BUNDLE) -> tuple[bytes, int]:
    if not path.is_file():
        raise WidgetBundleMissing(
            f"the chat widget is not installed ({path} is missing): run `npm ci` in {REPO_ROOT} (or `make install`)"
        )
    text, removed = strip_external_css_imports(path.read_text(encoding="utf-8"))
    return text.encode("utf-8"), removed

"""Interactive documentation for each mocked API, and the contract itself as JSON.

Paths are declared (defaults shown)::

    x-apitwin:
      docs: {ui: /docs, redoc: /redoc, spec: /openapi.json}   # a path set to false turns it off

``spec`` serves the contract as written (3.0 or 3.1). The bundled Swagger UI (4.x) reads
OpenAPI 3.0 only, so the page loads the 3.0 view the mock also gives Connexion, from
``/__mock/openapi-3.0.json``; ReDoc reads 3.1 and gets the contract itself.
"""

from __future__ import annotations

import html
import json
import mimetypes
from pathlib import Path
from typing import Any

DEFAULTS = {"ui": "/docs", "redoc": "/redoc", "spec": "/openapi.json"}
VIEW_PATH = "/__mock/openapi-3.0.json"
ASSETS_PREFIX = "/__mock/swagger-ui/"


def docs_paths(document: dict[str, Any]) -> dict[str, str]:
    declared = ((document.get("x-apitwin") or {}).get("docs")) or {}
    paths = {}
    for kind, default in DEFAULTS.items():
        value = declared.get(kind, default)
        if value:
            paths[kind] = str(value)
    return paths


def swagger_ui_page(title: str) -> str:
    title = html.escape(title)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - Swagger UI</title>
<link rel="stylesheet" href="{ASSETS_PREFIX}swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{ASSETS_PREFIX}swagger-ui-bundle.js"></script>
<script src="{ASSETS_PREFIX}swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({{url: "{VIEW_PATH}", dom_id: "#swagger-ui",
presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout"}});</script>
</body></html>"""


def redoc_page(title: str, spec_path: str) -> str:
    title = html.escape(title)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - ReDoc</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="{html.escape(spec_path)}"></redoc>
<script src="https://cdn.redoc.ly/redoc/latest/bundles/redoc.standalone.js"></script>
</body></html>"""


def swagger_asset(name: str) -> tuple[bytes, str] | None:
    """A static file of the bundled Swagger UI (None when there is no such file)."""
    try:
        import swagger_ui_bundle
    except ImportError:  # pragma: no cover - installed with connexion[swagger-ui]
        return None
    root = Path(swagger_ui_bundle.swagger_ui_path).resolve()
    path = (root / name).resolve()
    if root not in path.parents or not path.is_file():
        return None
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return path.read_bytes(), media_type


def as_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, default=str).encode("utf-8")

"""The GraphQL seam `mock_server.app` calls: `build_app(runtime)` -> the ASGI app serving the
operations that declare ``x-apitwin-graphql: <SDL file>``, or None when none does.

graphql-core is imported only for an API that declares GraphQL, so the others start faster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def build_app(runtime: Any) -> Any:
    declared = next((op.extension("x-apitwin-graphql") for op in runtime.operations.values() if op.extension("x-apitwin-graphql")), None)
    if not declared:
        return None
    from mock_server.graphql.endpoint import build_endpoint

    base = Path(runtime.spec_path).parent if runtime.spec_path else Path(".")
    sdl_path = base / str(declared)
    if not sdl_path.is_file() and getattr(runtime.api, "graphql", None):
        sdl_path = Path(runtime.api.graphql)
    return build_endpoint(runtime, sdl_path)

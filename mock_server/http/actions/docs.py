"""Documentation operations (``x-apitwin-docs``: openapi/spec, redoc, swagger): the contract
itself, or a page that renders it."""

from __future__ import annotations

from mock_server.http import docs
from mock_server.http.context import Context
from mock_server.http.exchange import Reply


def docs_page(ctx: Context) -> Reply:
    kind = ctx.plan.docs_kind
    document = ctx.services.document
    title = str((document.get("info") or {}).get("title", "API"))
    if kind in ("openapi", "spec"):
        return Reply(200, document, {}, "application/json")
    if kind == "redoc":
        return Reply(200, docs.redoc_page(title, ctx.services.spec_path), {}, "text/html; charset=utf-8")
    return Reply(200, docs.swagger_ui_page(title), {}, "text/html; charset=utf-8")

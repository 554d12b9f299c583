"""One page of a list, and the facts a response reports about it.

::

    x-apitwin-pagination:
      style: page | offset | cursor
      params: {page: page, per_page: per_page}            # page style
              {offset: skip, limit: limit}                # offset style
              {limit: limit, before: before, after: after}  # cursor style (record ids)
      items: data                       # body path of the list ('' = the body is the list)
      meta: {meta.total_count: total}   # body path -> fact
      headers: {X-Pagination-Total: total}                # header -> fact

Facts: ``page``, ``per_page``, ``pages``, ``total``, ``limit``, ``offset``, ``has_more``,
``next_cursor``, ``prev_cursor``, ``count`` (items on this page). Page sizes come from the
query (already validated against the parameter's bounds) or the parameter's default.

Cursor style, over the list in its sort order: ``next_cursor`` is the id of the last record of
the page when there are more, and ``next`` names the parameter that takes it. With the default,
``next: after`` (as in ``starting_after``), ``after=<id>`` continues past that record and
``before=<id>`` gives the records just ahead of it; ``next: before`` declares the opposite
convention (a newest-first feed whose next page is ``before`` the last message seen).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass
class Page:
    items: list[Any]
    facts: dict[str, Any]


DEFAULT_SIZE = 20


def paginate(records: list[dict[str, Any]], declaration: Mapping[str, Any] | None, query: Mapping[str, Any], key: str = "id") -> Page:
    if not declaration:
        return Page(records, {"total": len(records), "count": len(records)})
    style = declaration.get("style", "page")
    params = declaration.get("params") or {}
    total = len(records)
    if style == "offset":
        limit = _int(query.get(params.get("limit", "limit")), DEFAULT_SIZE)
        offset = _int(query.get(params.get("offset", "offset")), 0)
        items = records[offset : offset + limit] if limit > 0 else []
        facts = {"limit": limit, "offset": offset, "has_more": offset + len(items) < total}
        facts.update(page=(offset // limit) + 1 if limit else 1, per_page=limit)
    elif style == "cursor":
        limit = _int(query.get(params.get("limit", "limit")), DEFAULT_SIZE)
        before = query.get(params.get("before", "before"))
        after = query.get(params.get("after", "after"))
        if declaration.get("next", "after") == "after":  # the cursor that continues is `after`
            before, after = after, before
        ids = [str(r.get(key)) for r in records]
        start, end = 0, min(limit, total)
        if before:
            if str(before) in ids:
                start = ids.index(str(before)) + 1
                end = min(start + limit, total)
            else:
                start = end = total
        elif after:
            if str(after) in ids:
                end = ids.index(str(after))
                start = max(0, end - limit)
            else:
                start = end = 0
        items = records[start:end]
        has_more = end < total if not after else start > 0
        facts = {
            "limit": limit,
            "offset": start,
            "has_more": has_more,
            "next_cursor": str(items[-1].get(key)) if has_more and items else None,
            "prev_cursor": str(items[0].get(key)) if items and start > 0 else None,
            "page": (start // limit) + 1 if limit else 1,
            "per_page": limit,
        }
    else:
        per_page = _int(query.get(params.get("per_page", "per_page")), DEFAULT_SIZE)
        page = max(1, _int(query.get(params.get("page", "page")), 1))
        start = (page - 1) * per_page
        items = records[start : start + per_page]
        facts = {"page": page, "per_page": per_page, "has_more": start + len(items) < total, "limit": per_page, "offset": start}
    facts["total"] = total
    facts["count"] = len(items)
    size = facts.get("per_page") or facts.get("limit") or 0
    facts["pages"] = math.ceil(total / size) if size else 0
    return Page(items, facts)


def _int(value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def put_path(body: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.c`` in `body`, creating objects on the way."""
    parts = path.split(".")
    node = body
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value

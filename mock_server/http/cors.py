"""CORS for frontends served from another origin: preflights answered, responses readable.

``--cors-origin`` is ``*`` (any origin; the request's origin is echoed so credentialed requests
work too) or a comma-separated list of allowed origins. Every response header is exposed, so a
browser app can read ``X-RateLimit-*`` and ``X-Pagination-*``.
"""

from __future__ import annotations

from collections.abc import Mapping

ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD"


class CorsPolicy:
    def __init__(self, origins: str = "*") -> None:
        self.any = origins.strip() in ("*", "")
        self.origins = {o.strip().rstrip("/") for o in origins.split(",") if o.strip()}

    def allowed_origin(self, origin: str | None) -> str | None:
        if not origin:
            return None
        if self.any or origin.rstrip("/") in self.origins:
            return origin
        return None

    @staticmethod
    def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
        return method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers

    def preflight_headers(self, headers: Mapping[str, str]) -> dict[str, str] | None:
        origin = self.allowed_origin(headers.get("origin"))
        if origin is None:
            return None
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ALLOWED_METHODS,
            "Access-Control-Allow-Headers": headers.get("access-control-request-headers") or "Authorization, Content-Type",
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        }

    def response_headers(self, request_headers: Mapping[str, str], response_headers: Mapping[str, str]) -> dict[str, str]:
        origin = self.allowed_origin(request_headers.get("origin"))
        if origin is None:
            return {}
        exposed = [name for name in response_headers if name.lower() not in ("content-type", "content-length")]
        added = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
        if exposed:
            added["Access-Control-Expose-Headers"] = ", ".join(exposed)
        return added

"""Which status answers an error: the one the operation documents for that kind of failure.

A contract says how its operation fails. The mock's natural status for a failure gives way to
a documented one of the same meaning:

* a request that breaks the contract: the API's declared validation status, else 400, else
  422, whichever the operation documents (a path parameter that breaks it names nothing that
  exists: 404 where that is documented and the declared status is not);
* another malformed request (JSON that does not parse, a bad filter): 400, else the documented
  422 (and the reverse);
* an authentication failure: 401, else the documented 403 (and a refused role or permission:
  403, else the documented 401).

"Documented" means the exact status or its range (``4XX``); ``default`` documents every status
and so changes nothing. Where nothing documented fits, the natural status stays.
"""

from __future__ import annotations

from typing import Any

from mock_server.http.errors import ErrorFormat, MockError

#: failures whose status may give way to another documented one of the same meaning
ALTERNATIVES = {400: (422,), 422: (400,), 401: (403,), 403: (401,)}


def documents(responses: dict[str, Any], status: int) -> bool:
    """Whether `status` itself or its range is documented (``default`` does not count)."""
    text = str(status)
    return text in responses or any(
        len(key) == 3 and key[0] == text[0] and key[1:].upper() == "XX" for key in responses
    )


def documented_error(error: MockError, responses: dict[str, Any], errors: ErrorFormat) -> MockError:
    """`error`, or the same failure with the status the operation documents for it (exact
    statuses before ranges; the natural status first)."""
    if error.documented_status is not None or not responses:
        return error
    natural = errors.status_of(error)
    if str(natural) in responses:
        return error
    if error.validation and error.errors and all((e.get("loc") or [""])[0] == "path" for e in error.errors):
        if "404" in responses:
            return MockError(404, headers=error.headers)
    candidates = (400, 422) if error.validation else ALTERNATIVES.get(natural, ())
    for status in candidates:
        if str(status) in responses:
            return _answered_as(error, status)
    if documents(responses, natural):
        return error
    for status in candidates:
        if documents(responses, status):
            return _answered_as(error, status)
    return error


def _answered_as(error: MockError, status: int) -> MockError:
    error.documented_status = status
    if status != 401:  # a challenge belongs to a 401 only
        error.headers = {k: v for k, v in error.headers.items() if k.lower() != "www-authenticate"}
    return error

"""Step 4, request validation: parameters, content type and body against the contract.

A filter expression refused by the contract's pattern is explained clause by clause.
"""

from __future__ import annotations

from urllib.parse import unquote

from mock_server.http.context import Context
from mock_server.http.errors import MockError
from mock_server.http.plan import OperationPlan
from mock_server.http.exchange import Request
from mock_server.state.querying import parse_filter


def validation(ctx: Context) -> None:
    request, validator = ctx.request, ctx.validator
    try:
        ctx.params = validator.parameters(request.path_params, request.query_pairs, request.headers, request.cookies)
    except MockError as error:
        raise explained_filter_error(error, request, ctx.plan) from None
    # the actions address records by path parameters: decoded (routing hands them on as sent),
    # and typed (``/pets/007`` -> 7) as the schema reads them where they are one value
    for name, value in request.path_params.items():
        if isinstance(value, str):
            request.path_params[name] = unquote(value)
    for name, value in ctx.params.get("path", {}).items():
        if isinstance(value, (str, int, float)):
            request.path_params[name] = value
    ctx.body = validator.body(request.body, request.content_type)


def explained_filter_error(error: MockError, request: Request, plan: OperationPlan) -> MockError:
    """A filter expression the contract's pattern refused, explained clause by clause."""
    language = plan.filter_language
    if not language or not error.errors:
        return error
    param = language.get("param", "filter")
    if not any(e.get("loc") == ["query", param] for e in error.errors):
        return error
    value = next((v for k, v in request.query_pairs if k == param), "")
    try:
        parse_filter(value, separator=language.get("separator", ";"), nested_in=language.get("nested_in"), param=param)
    except MockError as explained:
        return explained
    return error

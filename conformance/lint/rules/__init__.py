"""The lint rules, in the order they run. A rule marked `gate` stops the rest for that file."""

from conformance.lint.rules.asyncapi import asyncapi_feed, asyncapi_schema, asyncapi_version, string_keys
from conformance.lint.rules.base import Rule, rule
from conformance.lint.rules.document import parse, ref
from conformance.lint.rules.examples import example
from conformance.lint.rules.graphql import graphql_schema, graphql_syntax
from conformance.lint.rules.openapi import (
    link_operation,
    openapi_schema,
    openapi_version,
    operation_id,
    operation_id_unique,
)

RULES: tuple[Rule, ...] = (
    parse,
    openapi_version,
    asyncapi_version,
    graphql_syntax,
    ref,
    openapi_schema,
    asyncapi_schema,
    string_keys,
    asyncapi_feed,
    graphql_schema,
    operation_id,
    operation_id_unique,
    link_operation,
    example,
)

__all__ = ["RULES", "Rule", "rule"]

"""Rules for GraphQL SDL files, read by graphql-core as a GraphQL server would."""

from __future__ import annotations

from collections.abc import Iterator

from conformance.lint.contract import Contract
from conformance.lint.problems import Finding
from conformance.lint.rules.base import rule
from mock_server.contracts.loader import ContractError


@rule("graphql-syntax", ["graphql"], "the file exists and is GraphQL SDL (graphql-core parses it)",
      gate=True)
def graphql_syntax(contract: Contract) -> Iterator[Finding]:
    from graphql import GraphQLSyntaxError, parse

    try:
        text = contract.text
    except ContractError as error:
        yield Finding(error.cause)
        return
    if not text.strip():
        yield Finding("the file is empty: a schema needs at least a Query type", line=1, column=1)
        return
    try:
        parse(text)
    except GraphQLSyntaxError as error:
        yield _finding(error)


@rule("graphql-schema", ["graphql"],
      "the SDL builds into a valid schema: known types, a Query type, consistent interfaces")
def graphql_schema(contract: Contract) -> Iterator[Finding]:
    from graphql import GraphQLError, build_ast_schema, parse, validate_schema
    from graphql.validation.validate import validate_sdl

    document = parse(contract.text)
    sdl_errors = validate_sdl(document)  # unknown types, duplicates: with their line and column
    if sdl_errors:
        for error in sdl_errors:
            yield _finding(error)
        return
    try:
        schema = build_ast_schema(document, assume_valid_sdl=True)
    except GraphQLError as error:
        yield _finding(error)
        return
    except (TypeError, ValueError) as error:
        yield Finding(str(error))
        return
    for error in validate_schema(schema):
        yield _finding(error)


def _finding(error: object) -> Finding:
    from graphql import GraphQLError

    assert isinstance(error, GraphQLError)
    message = error.message
    if message.startswith("Syntax Error: "):
        message = "syntax error: " + message[len("Syntax Error: "):]
    locations = error.locations or []
    if locations:
        return Finding(message, line=locations[0].line, column=locations[0].column)
    return Finding(message)

"""Which findings rest on the document, and which only on an assumption about it.

The suite fails a target only on what its document states. Where a finding depends on something
the document never says (how an undocumented method or an unlisted error is answered, or a
constraint the contract itself marks with ``x-apitwin-assumed``), it is reported as a warning:
listed, never failing the run, unless ``--strict`` asks for the stricter reading.
"""

from __future__ import annotations

from typing import Any

from conformance.contract import Contract

#: checks about HTTP niceties a document never asks for, when the target refused the request
#: anyway (a 2xx to an undocumented method is served, not a nicety missed)
NICETIES = {
    "unsupported_method": "the document lists the methods it serves, not how others are refused (405, Allow)",
    "allow_header_conformance": "the document does not ask for an Allow header on 405 answers",
}
#: a status the document never lists for the operation, in this range, is the framework's to choose
UNLISTED_ANSWERS = range(400, 500)
#: answers to invalid input: where the document lists one of them, it has stated how invalid
#: input is refused, and another one contradicts it
VALIDATION_STATUSES = frozenset({400, 422})


def assumption(contract: Contract | None, check: str, operation: str, failure: Any, sent_method: str = "") -> str:
    """Why a finding rests on an assumption, or "" when the document itself states it.

    ``sent_method`` is the method of the request that failed, when known: a request with a
    method the operation does not document is answered however the target likes, short of a 5xx.
    """
    status = getattr(failure, "status_code", None)
    if check in NICETIES and not (isinstance(status, int) and 200 <= status < 300):
        return NICETIES[check]
    if sent_method and " " in operation and sent_method.upper() != operation.split(" ", 1)[0].upper() and check != "not_a_server_error":
        return f"the document does not say how {sent_method.upper()}, a method it does not list here, is answered"
    if check == "status_code_conformance" and isinstance(status, int) and status in UNLISTED_ANSWERS:
        listed = {str(code) for code in getattr(failure, "defined_status_codes", ()) or ()}
        if status in VALIDATION_STATUSES and listed & {str(code) for code in VALIDATION_STATUSES}:
            return ""  # the document says how invalid input is refused, and this is not it
        return f"the document does not say how this case is answered; the target chose {status}"
    return marked(contract, operation)


def marked(contract: Contract | None, operation: str) -> str:
    """The ``x-apitwin-assumed`` note of an operation the contract marks as assumed, if any."""
    if contract is None or " " not in operation:
        return ""
    method, path = operation.split(" ", 1)
    found = contract.operation_for(method, path)
    note = found.extension("assumed") if found is not None else None
    return str(note) if note else ""

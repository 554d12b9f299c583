"""The shape of a lint rule: a named check over one contract file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from conformance.lint.contract import Contract
from conformance.lint.problems import Finding

Check = Callable[[Contract], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """`gate`: when this rule finds anything, the later rules are skipped for that file
    (nothing can be said about the operations of a file that is not YAML). `severity`: an
    "error" makes `apitwin lint` fail; a "warning" (what the specification allows but a user
    is better off without) is printed and does not."""

    name: str
    kinds: frozenset[str]
    summary: str
    check: Check
    gate: bool = False
    severity: str = "error"

    def applies_to(self, contract: Contract) -> bool:
        return contract.kind in self.kinds


def rule(name: str, kinds: Iterable[str], summary: str, *, gate: bool = False,
         severity: str = "error") -> Callable[[Check], Rule]:
    """Make a check function into a `Rule`; the rule list in `rules/__init__.py` names them."""

    def make(check: Check) -> Rule:
        return Rule(name, frozenset(kinds), summary, check, gate, severity)

    return make

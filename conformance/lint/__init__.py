"""`apitwin lint`: checks that contracts are valid before anything is built on them.

Each check is a small named rule (`rules/`); `runner` applies them to contract files and
places every finding on a line of the file; `command` is the CLI.
"""

from conformance.lint.problems import Problem
from conformance.lint.runner import lint_api, lint_file

__all__ = ["Problem", "lint_api", "lint_file"]

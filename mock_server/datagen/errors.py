"""The one error data generation raises: a schema it cannot produce a value for."""


class DataGenError(ValueError):
    """A schema (or an `x-faker` hint) that cannot be turned into a value; the message says why."""

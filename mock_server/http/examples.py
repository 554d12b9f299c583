"""Documented values for one API: static answers composed from its schemas' examples, and the
small values an error body is filled in with.

``Prefer: dynamic=false`` asks for the same answer every time, so a static answer's gaps (what
no example covers) are filled by a generator of its own, reseeded for every answer: the same
schema gives the same value on every request and every run with the same ``--seed``.
"""

from __future__ import annotations

from typing import Any

from mock_server.datagen.examples import compose
from mock_server.datagen.generator import DataGenerator

#: generated strings in an error body are cut to this length where the schema allows it
SHORT_STRING = 40


class ExampleSource:
    def __init__(self, document: dict[str, Any], seed: int, generator: Any) -> None:
        self.document = document
        self.seed = seed
        self.dynamic = generator
        self._static: DataGenerator | None = None
        self._documents: dict[int, tuple[Any, bool]] = {}

    def _static_generator(self) -> DataGenerator:
        """A generator of its own, reseeded: the same schema always fills the same way."""
        if self._static is None:
            self._static = DataGenerator(self.seed, stream="static")
        source = f"apitwin:{self.seed}:static"
        self._static.rng.seed(source)
        self._static.faker.seed_instance(source)
        return self._static

    def documents_examples(self, schema: Any) -> bool:
        """Whether any part of `schema` documents an example (remembered per schema: most
        schemas have none, and then composing one per request would be wasted work)."""
        hit = self._documents.get(id(schema))
        if hit is None or hit[0] is not schema:
            hit = self._documents[id(schema)] = (schema, compose(schema, self.document, lambda sub, name: None)[0])
        return hit[1]

    def composed(self, schema: Any, *, static: bool) -> tuple[bool, Any]:
        """(found, value) composed from `schema`'s examples; gaps filled statically (the same
        every time) or with fresh generated data."""
        if not static and not self.documents_examples(schema):
            return False, None
        generator = self._static_generator() if static else self.dynamic
        return compose(schema, self.document, lambda sub, name: generator.value(sub, name=name, root=self.document))

    def small(self, schema: Any) -> Any:
        """The smallest value of `schema` (required properties, ``minItems``, short strings),
        with its examples where it has them."""
        generator = self._static_generator()

        def fill(sub: Any, name: str | None) -> Any:
            return _shortened(generator.value(sub, name=name, root=self.document), sub)

        return compose(schema, self.document, fill, required_only=True)[1]


def _shortened(value: Any, schema: Any) -> Any:
    """A long generated string cut short, where nothing in the schema needs its length."""
    if not isinstance(value, str) or len(value) <= SHORT_STRING or not isinstance(schema, dict):
        return value
    if any(key in schema for key in ("pattern", "format", "enum", "const", "$ref")):
        return value
    return value[: max(SHORT_STRING, int(schema.get("minLength", 0) or 0))]

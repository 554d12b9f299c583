"""Realistic, schema-valid, reproducible data for the mock (see `generator.DataGenerator`)."""

from mock_server.datagen.errors import DataGenError
from mock_server.datagen.generator import DataGenerator

__all__ = ["DataGenError", "DataGenerator"]

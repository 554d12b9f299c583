"""The interfaces the request path depends on for shared state, so that several mock replicas
could share one store and one set of rate-limit counters (e.g. on Redis) by providing another
implementation: `mock_server.state.store.Store` and `mock_server.state.ratelimit.RateLimiter`
are the in-process ones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

Record = dict[str, Any]


class RecordStore(Protocol):
    """Collections of records by key, with expiry and a revision per collection that changes on
    every write (list caches key on it)."""

    def collections(self) -> list[str]: ...
    def revision(self, collection: str) -> int: ...
    def list(self, collection: str, *, copy_records: bool = True) -> list[Record]: ...
    def count(self, collection: str) -> int: ...
    def get(self, collection: str, record_id: Any) -> Record | None: ...
    def insert(self, collection: str, record: Mapping[str, Any], *, key: str = "id",
               expires_at: float | None = None) -> Record: ...
    def replace(self, collection: str, record_id: Any, record: Mapping[str, Any]) -> Record | None: ...
    def delete(self, collection: str, record_id: Any) -> Record | None: ...
    def reset(self, fixtures: Mapping[str, Iterable[Mapping[str, Any]]] | None = None, *collections: str) -> None: ...
    def write_group(self) -> AbstractContextManager[None]: ...  # the block's writes persisted together


class RateDecisionLike(Protocol):
    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int


class RateLimits(Protocol):
    """Each caller's allowance per operation: `check` uses one up, `nominal` only tells it."""

    enabled: bool

    def check(self, operation_id: str, client: str, *, plan: str | None = None) -> RateDecisionLike | None: ...
    def nominal(self, operation_id: str, *, plan: str | None = None) -> RateDecisionLike | None: ...
    def reset(self) -> None: ...

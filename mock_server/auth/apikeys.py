"""API keys: created by a signed-in user, shown once, then accepted as credentials.

Only a hash of the secret is stored (privately); the public part (id, name, permissions,
expiry) goes to the collection the operation declares, so the API can list keys without them.
Declared under `x-apitwin.auth.api_keys`: `scheme` (the security scheme that carries keys),
`prefix` (`sk_live_`), `id_prefix` (`key_`), `default_days`, `default_permissions`.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from mock_server.auth.credentials import as_bytes

SECRETS = "_api_keys"
_ALPHABET = string.ascii_letters + string.digits


def digest(secret: str) -> str:
    return hashlib.sha256(as_bytes(secret)).hexdigest()


#: the latest expiry a key can have: the last second a `date-time` (four-digit year) can name
LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)


def _expiry(now: datetime, days: int) -> datetime:
    """`now` plus `days`, clamped to `LATEST`: any positive count the contract admits (it sets
    no maximum) gives a key, one valid "for ever" when the count outlives the calendar."""
    if days >= (LATEST - now).days:
        return LATEST
    return now + timedelta(days=days)


class ApiKeys:
    def __init__(self, store: Any, declared: dict, *, seed: int, clock: Callable[[], float]):
        self._store = store
        self.scheme = declared.get("scheme")
        self._prefix = str(declared.get("prefix", "sk_live_"))
        self._id_prefix = str(declared.get("id_prefix", "key_"))
        self._days = int(declared.get("default_days", 365))
        self._permissions = list(declared.get("default_permissions") or [])
        # secrets, not the seed: keys kept in a `--state` file must never be issued twice
        self._rng = secrets.SystemRandom()
        self._clock = clock

    def create(self, owner: Any, *, name: str, permissions: list[str] | None, days: int | None) -> dict:
        key_id = self._id_prefix + "".join(self._rng.choice(string.ascii_lowercase + string.digits) for _ in range(12))
        secret = self._prefix + "".join(self._rng.choice(_ALPHABET) for _ in range(32))
        expires = _expiry(datetime.fromtimestamp(self._clock(), timezone.utc), days or self._days)
        public = {"key_id": key_id, "name": name,
                  "permissions": list(permissions if permissions is not None else self._permissions),
                  "expires_at": expires.replace(microsecond=0).isoformat().replace("+00:00", "Z")}
        self._store.insert(SECRETS, {"id": digest(secret), "owner": owner, **public, "expires": expires.timestamp()})
        return {**public, "api_key": secret}

    def lookup(self, secret: str) -> dict | None:
        """The key's entry if `secret` is a live key, else None."""
        entry = self._store.get(SECRETS, digest(secret))
        if entry is None or float(entry.get("expires", 0)) <= self._clock():
            return None
        return entry

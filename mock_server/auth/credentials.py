"""Passwords, roles, MFA codes and plans, kept in a private store collection.

A user's public record (what the API shows) lives in the API's users collection; what proves
who they are lives here, hashed, and is never part of any response. Keeping both in the store
means `--state` keeps registered accounts across restarts and `POST /__mock/reset` drops them.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

CREDENTIALS = "_credentials"


def as_bytes(value: Any) -> bytes:
    """A credential as bytes for hashing and comparing: UTF-8, with lone surrogates (which a
    JSON body may carry as `\\ud800`) kept as their own bytes instead of raising."""
    return str(value).encode("utf-8", "surrogatepass")


def same(given: Any, expected: Any) -> bool:
    """Constant-time equality of two credentials, for any strings (non-ASCII, surrogates)."""
    return hmac.compare_digest(as_bytes(given), as_bytes(expected))


def _hash(password: str, salt: str) -> str:
    return hashlib.sha256(as_bytes(f"{salt}:{password}")).hexdigest()


class Credentials:
    def __init__(self, store: Any):
        self._store = store

    def add(self, user_id: Any, *, username: str | None, email: str | None, password: str | None,
            roles: list[str], mfa_code: str | None = None, plan: str | None = None) -> dict:
        salt = hashlib.sha256(as_bytes(f"salt:{user_id}")).hexdigest()[:16]
        entry = {
            "id": str(user_id), "user_id": user_id, "username": username, "email": email,
            "salt": salt, "password_hash": _hash(password, salt) if password is not None else None,
            "roles": list(roles), "mfa_code": mfa_code, "plan": plan,
        }
        self._store.insert(CREDENTIALS, entry)
        return entry

    def get(self, user_id: Any) -> dict | None:
        return self._store.get(CREDENTIALS, str(user_id))

    def find(self, identifier: str) -> dict | None:
        """The account whose username or e-mail (any case) is `identifier`."""
        wanted = identifier.strip().lower()
        for entry in self._store.list(CREDENTIALS, copy_records=False):
            if wanted and wanted in (str(entry.get("username") or "").lower(), str(entry.get("email") or "").lower()):
                return dict(entry)
        return None

    def taken(self, *identifiers: str | None) -> bool:
        return any(identifier and self.find(identifier) is not None for identifier in identifiers)

    @staticmethod
    def check(entry: dict, password: Any) -> bool:
        if entry.get("password_hash") is None or not isinstance(password, str):
            return False
        return same(entry["password_hash"], _hash(password, entry["salt"]))

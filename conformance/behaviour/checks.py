"""The behaviour checks, by name, with what each catches (see `conformance.registry`).

They are performed by the behaviour phase (`conformance.behaviour.runner`), not per response.
`rate_limit_enforced` spends the target's quota, so it runs only when named in `--checks`.
"""

from __future__ import annotations

from conformance.registry import REGISTRY

#: checks that run only when asked for by name: they spend what the target's users share
OPT_IN = {"rate_limit_enforced"}

_CHECKS = {
    "list_sort": "a list asked for an order (x-apitwin-sort) comes back in that order, both directions",
    "list_filter": "each declared filter (x-apitwin-filters / x-apitwin-filter) returns only matching items, and loses none",
    "list_fields": "a `fields` projection (x-apitwin-fields) returns only the asked fields (plus required ones)",
    "write_read_back": "a created item is readable with what was sent, and listed exactly once in a walk of every page",
    "write_update_seen": "an update is seen on the next read and in the list",
    "write_delete_gone": "a deleted item answers 404 and is gone from the list",
    "write_update_mode": "PATCH merges (other fields kept); PUT replaces, or merges where x-apitwin-update says so",
    "auth_logout_revokes": "logout / session deletion makes that token fail at once (401)",
    "auth_refresh_rotation": "a refresh works, and with x-apitwin.auth.rotate_refresh the old refresh token then fails",
    "auth_wrong_password": "a wrong password is refused with the documented status, never a token",
    "auth_lockout": "wrong passwords lock an account the probe registers itself, as x-apitwin.auth.lockout declares",
    "rate_limit_enforced": "X-RateLimit-Remaining counts down and 429 with Retry-After comes at zero (opt-in: spends quota)",
}

for _name, _summary in _CHECKS.items():
    REGISTRY.declare(_name, "http", _summary)

BEHAVIOUR_CHECKS = tuple(_CHECKS)

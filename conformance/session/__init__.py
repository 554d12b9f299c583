"""Keeping the suite's own login alive and the target's data intact while it tests.

`identity` works out whom the suite is logged in as, `ownership` which records it created and
may therefore change, `guard` rewrites each request before it is sent so neither the login nor
data that existed before the run is touched, and `reach` counts how many requests got past
the doorway (authentication, rate limits) to the operation's own logic.
"""

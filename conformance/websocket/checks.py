"""WebSocket checks (registered names; the runner performs them)."""

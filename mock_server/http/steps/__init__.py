"""The named steps a request goes through, in order (see `mock_server.http.pipeline`):
credentials, rate limit, access, validation, scenario, action, events."""

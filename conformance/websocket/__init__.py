"""The WebSocket phase: an AsyncAPI 3.0 contract held against a live server."""

"""The public entry point: `create_app(target, settings)` returns the ASGI app of one mocked API.

The app itself lives in `mock_server.http.app`; this module keeps the documented import path.
"""

from mock_server.http.app import MockApp, create_app

__all__ = ["MockApp", "create_app"]

"""Real authentication for the mock: JWTs, flows, API keys, MFA, lockout (see `authenticator`)."""

from mock_server.auth.authenticator import Authenticator
from mock_server.auth.errors import AuthError
from mock_server.auth.principal import Principal

__all__ = ["AuthError", "Authenticator", "Principal"]

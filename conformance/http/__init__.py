"""The HTTP side of a conformance run: Schemathesis' engine plus apitwin's own checks."""

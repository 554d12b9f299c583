"""apitwin's conformance suite: holds any real implementation to its contract."""

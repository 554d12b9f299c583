"""pytest plugin entry point for `pytest --apitwin-api NAME --apitwin-base-url URL`."""

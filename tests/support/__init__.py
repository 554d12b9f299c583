"""Helpers the tests share: real server processes on free ports."""

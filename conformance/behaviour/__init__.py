"""Behaviour checks: what the contract promises lists, writes, auth and rate limits do."""

"""What the mock remembers: the record store, resource bindings, querying and pagination of
collections, rate-limit counters and live stats."""

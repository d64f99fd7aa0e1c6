"""The embedded parts `make run` and the tests start: Redis-compatible server, mail sink."""

"""Outgoing mail: the outbox, building messages, and talking SMTP."""

"""Inbound mail events: bounces, complaints and auto-replies, parsed without Flask."""

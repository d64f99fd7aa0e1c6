"""Delivery events: parsing, status rules, tracking and webhooks (no Flask here)."""

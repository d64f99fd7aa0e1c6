"""Reminders: the office's stages (when, what they say) and the run that sends them, once
per invoice and stage, with what it skips and why."""

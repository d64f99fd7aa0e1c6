"""The office's administration: staff accounts, the audit trail, background jobs and bounce review."""

"""Background jobs. Jobs take ids, re-read state, and are safe to run twice."""

"""Report queries: plain modules (no request globals), every aggregation in SQL."""

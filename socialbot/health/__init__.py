"""Source health: failing polls (circuit breaker), silent sources, and their alerts."""

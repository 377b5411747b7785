"""The performance benchmark (scripts/bench) and its hand-written baseline."""

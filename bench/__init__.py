"""Benchmarks: scripts, not tests. `python -m bench.run` (or `make bench`)
runs them and writes docs/benchmarks.md; see that page for what each figure means."""

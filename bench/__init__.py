"""Benchmarks: ``make bench`` runs them all and writes bench/RESULTS.md (see bench/run.py)."""

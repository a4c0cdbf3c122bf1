"""Benchmarks: each bench_*.py module offers rows(); `make bench` prints them as one table."""

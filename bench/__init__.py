"""Benchmarks of sovwatch against the tools operators use today (kubectl, watch, a k9s-like poller).

Not part of the test suite's pass/fail: `python -m bench` runs all six and prints one table with
ratios plus JSON; `python -m bench.<name> [--smoke]` runs one. See bench/README.md.
"""

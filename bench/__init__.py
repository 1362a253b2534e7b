"""Benchmarks: each prints its rate and a ratio against a baseline measured in
the same run (the machines are shared and noisy; absolute times mean little)."""

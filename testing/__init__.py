"""Helpers shared by the tests and benchmarks: real git repositories, real DVC, complete cards."""

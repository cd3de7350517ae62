"""Benchmarks at realistic scale; see bench/__main__.py for the protocol."""

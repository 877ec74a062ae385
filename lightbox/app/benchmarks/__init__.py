"""Benchmarks behind ``lightbox bench``: interaction frame times and the demo model's speed."""

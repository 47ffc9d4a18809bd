"""Benchmarks of chaos itself: accuracy, overhead, lab start, trial cost, growth.

Each script prints one JSON object per measurement line and a summary; the
figures and the exact commands are in docs/benchmarks.md.
"""

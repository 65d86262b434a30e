"""The kernel every layer shares: the exception root, the caller, the rule
catalogue and rejections, settings and plain domain values.

It imports nothing else of the project (an import-linter contract in
setup.cfg keeps it so).
"""

"""Helpers for build.py: reading sources and vendoring assets. Each module does one job."""

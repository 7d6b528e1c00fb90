"""A shim for tools that still call setup.py; pyproject.toml holds all metadata."""

from setuptools import setup

setup()

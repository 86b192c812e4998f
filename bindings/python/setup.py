"""The compiled part of the package (memchan/_fast.c), which pyproject.toml cannot yet
declare with Debian's setuptools. Optional: where it cannot be built (no C compiler, no
Python headers - Debian's python3-dev), the package installs without it and the binding makes
the same calls through ctypes, slower per message (docs/python.md)."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("memchan._fast", ["memchan/_fast.c"], optional=True)])

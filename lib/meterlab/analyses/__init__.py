"""Shared per-file analyses, one module each, read by signals through ``FileAnalysis``.

Each module defines ``NEEDS`` (analyses it reads, and ``"audio"`` if it reads decoded
samples: its cache version follows them), ``LIBRARIES`` (distributions whose versions
change its output) and ``compute(analysis) -> dict`` of arrays and plain values.
The module name is the analysis's name and its cache folder.
"""

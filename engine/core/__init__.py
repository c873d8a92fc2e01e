"""Foundations every layer uses: problems and exit codes, exact money, closed vocabularies."""

"""Reviewing a change: diff in words, impact on scenarios and a population, release checks, scenario tests."""

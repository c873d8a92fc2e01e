"""Settle one person-year: read the case, run the payment steps, explain the result, list parameters."""

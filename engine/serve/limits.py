"""The service's own limits: body size, encounters per case and cache refresh (numbers and nesting: engine.core.limits)."""
from __future__ import annotations

from engine.policy.load import MAX_BYTES

# The body limit is the CLI's file limit (engine.policy.load.MAX_BYTES): a case the CLI can read, the service can read.
MAX_BODY_BYTES = MAX_BYTES
# Problems listed in one refusal (the first ones, in file order; `count` in the message says how many in all): a body
# of a million bytes can hold 150,000 refused numbers, which listed in full would answer with some 23 MB.
MAX_PROBLEMS = 100
# Encounters in one case (one person, one calendar year).
MAX_ENCOUNTERS = 1000
# The engine caches every resolution it makes (by region, date epoch, year, categories, tier, ...): a stream of cases
# with ever new tiers or years would grow that cache without end, so each served set starts afresh after this many
# settlements (about 18 KB a settlement at worst, measured; typical traffic re-warms in a few hundred resolutions).
REFRESH_EVERY = 10_000
# Gaps reports kept per served set (by region and years): one takes 0.02 s (a region, a year) to 5 s (every region,
# 1949-2100) to compute, and is the same until the set changes, which a served set never does.
GAPS_KEPT = 32

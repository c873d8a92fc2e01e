"""Many person-years at once: claims tables in integer fen, indicators, participation."""

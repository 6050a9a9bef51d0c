"""Reading public reviews: sentiment (negative / neutral / positive) and topics, for hub/reviews' ReviewReader."""

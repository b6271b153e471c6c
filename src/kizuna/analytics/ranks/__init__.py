"""Ranks: the policy document, its evaluation as one CASE expression, and rank history."""

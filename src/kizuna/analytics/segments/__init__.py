"""Segments: a typed AND/OR/NOT predicate tree compiled to one Ibis filter."""

"""Feedback (record layer): surveys and their answers, product reviews, support tickets.

Imports only the record below it (customers, catalog, orders) and kit; rewards, notices and
recommendations are joined in ``ingest.after_purchase`` (see ``docs/feedback.md``).
"""

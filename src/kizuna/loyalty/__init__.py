"""Loyalty: the programme document, the points ledger, member stages, benefits, coupons, quotes.

The storefront, the API, the CLI and the jobs call the plain functions of these modules; nothing
here imports the web, CLI, ingest, automation or channel layers (see ``docs/loyalty.md``).
"""

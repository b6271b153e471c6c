"""The points ledger: tables (``models``), posting verbs (``post``), reads (``balance``)."""

"""Journeys: a typed document (trigger → steps) interpreted by small registered handlers.

Done: the document and its validation (``definition.py``), the registries of triggers,
conditions and actions with label templates (``registry.py``) and the pure next-step planner
(``plan.py``). Next: the runner that persists enrolments with idempotent progress per (customer,
journey, step), the trigger scanners, and the action handlers.
"""

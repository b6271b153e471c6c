"""Journeys: a typed document (trigger → steps) interpreted by small registered handlers.

``definition`` (the document), ``registry`` (trigger/condition/action types with labels),
``plan`` (the pure next-step planner), ``triggers``/``scanners`` (who enters, set-based),
``enrol`` (idempotent enrolment per occurrence), ``conditions`` (facts in bulk), ``content``
(message context providers), ``actions`` (send, points, coupon, attribute, staff note),
``runner`` (advances enrolments, idempotent per customer, journey and step), ``hooks`` (for the
ingest pipeline), ``store`` (versions and the switch), ``service`` (dashboard/CLI functions),
``presets`` (ready-made journeys as data). See docs/messaging.md.
"""

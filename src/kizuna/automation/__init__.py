"""Automation: guards (consent, suppression, caps, quiet hours), holdout experiments, and the
submission of messages to the outbox; journeys and campaigns build on these."""

"""Channels: how a message leaves (email, SMS, LINE, web push, printed DM), the outbox that
records it before it leaves, suppression, and tracking back into events."""

"""The web fixtures (a real app over a fresh database on both backends) for the feedback routes."""

from tests.integration.web.conftest import app_client, app_sessions, auth  # noqa: F401

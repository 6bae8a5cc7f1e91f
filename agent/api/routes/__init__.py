"""Routers: JSON API, webhooks later, UI pages."""

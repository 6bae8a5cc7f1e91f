"""Engage: the engagement layer between a sales team's meetings and its CRM."""

__version__ = "0.1.0"

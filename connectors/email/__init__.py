"""Outgoing email through an SMTP server (digests, briefs, notices)."""

from connectors.email.smtp import SmtpConfig, SmtpMailer

__all__ = ["SmtpConfig", "SmtpMailer"]

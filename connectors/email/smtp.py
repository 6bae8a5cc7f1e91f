"""Email through the team's SMTP server, with `smtplib`: plain text, one message per call.

Failures are sorted the way a delivery job needs them: a server that is down, busy (4xx) or drops
the connection is worth a retry; a refused recipient or a 5xx answer is not; a refused login is
a configuration problem.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from agent.domain.delivery import Sent
from agent.errors import ConfigError, PermanentError, TransientError


@dataclass(frozen=True, kw_only=True)
class SmtpConfig:
    host: str
    port: int = 587
    security: str = "starttls"
    """`starttls`, `ssl` (implicit TLS, usually port 465) or `none` (a relay on this host)."""
    username: str | None = None
    password: str | None = None
    sender: str = "engage@localhost"
    timeout: float = 20.0


class SmtpMailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        if cfg.security == "ssl":
            return smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
            )
        server = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        if cfg.security == "starttls":
            server.starttls(context=ssl.create_default_context())
        return server

    def send(self, *, to: str, subject: str, text: str) -> Sent:
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message_id = make_msgid(domain=self.config.sender.rpartition("@")[2] or None)
        message["Message-ID"] = message_id
        message.set_content(text)
        try:
            with self._connect() as server:
                if self.config.username:
                    server.login(self.config.username, self.config.password or "")
                server.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise ConfigError(
                f"SMTP login refused ({exc.smtp_code}): check ENGAGE_SMTP_*"
            ) from None
        except smtplib.SMTPRecipientsRefused:
            raise PermanentError(f"the mail server refused the recipient {to}") from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TransientError(
                    f"mail server busy ({exc.smtp_code})", retry_after=60
                ) from None
            raise PermanentError(f"the mail server refused the message ({exc.smtp_code})") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"mail server unreachable: {type(exc).__name__}") from None
        return Sent(ref=message_id)

"""The error tree of Engage, split by what the caller should do.

EngageError
├── ConfigError            fix the configuration (fails at start)
├── InputError             fix the input: 4xx in the API, exit 2 in the CLI
│   ├── NotFound
│   ├── TranscriptFormatError
│   ├── AudioError         not decodable audio, too long, too large, or no speech heard
│   └── InvalidDecision    an approval/rejection that does not fit the proposal
├── Forbidden              the actor may not do this
├── TransientError         retry later (network, 5xx, rate limit with retry_after)
└── PermanentError         give up and dead-letter
    ├── CrmError           the CRM refused (carries system, status, vendor code)
    ├── ExtractionError    the engine produced nothing usable
    └── TranscriptionError the transcriber ran out of time or memory, or crashed
"""

from __future__ import annotations


class EngageError(Exception):
    """Base of every error Engage raises on purpose."""


class ConfigError(EngageError):
    """A setting is missing or wrong; the message names the variable."""


class InputError(EngageError):
    """The caller sent something Engage cannot use."""


class NotFound(InputError):
    pass


class TranscriptFormatError(InputError):
    pass


class AudioError(InputError):
    pass


class InvalidDecision(InputError):
    pass


class Forbidden(EngageError):
    pass


class TransientError(EngageError):
    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(EngageError):
    pass


class CrmError(PermanentError):
    def __init__(
        self, message: str, *, system: str, status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.system = system
        self.status = status
        self.code = code


class ExtractionError(PermanentError):
    pass


class TranscriptionError(PermanentError):
    pass

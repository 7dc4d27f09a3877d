"""The user-facing errors of trendwatch, each with the exit code the CLI uses.

Usage errors (bad flags, bad values) exit 2, like click; everything else a user
can cause (unreachable broker, unreadable file, missing Java) exits 1.
"""

from __future__ import annotations

__all__ = ["TrendwatchError", "UsageError", "BrokerUnavailable", "AccessDenied", "InputError", "ToolMissing"]


class TrendwatchError(Exception):
    """An error the user can act on; ``str(error)`` says what to do."""

    exit_code = 1


class UsageError(TrendwatchError):
    """A bad flag, option value or configuration value."""

    exit_code = 2


class BrokerUnavailable(TrendwatchError):
    """The Kafka broker cannot be reached or refused the request."""


class AccessDenied(BrokerUnavailable):
    """The broker refused the login, mechanism or client certificate, or its own certificate is not trusted."""


class InputError(TrendwatchError):
    """An input file is missing, unreadable or malformed."""


class ToolMissing(TrendwatchError):
    """An external program trendwatch needs (java, mvn) is not installed."""

"""The one exception tree of ropo-import.

Raise to abort; a bad row never raises out of the pipeline (it becomes an Issue).

* ImporterError                 anything that stops a run; the CLI prints it on one line, exit 1
  + ConfigError                 a missing or contradictory setting or option
  + ProfileError                no profile fits the file, or a profile that cannot be used
  + ReadError                   a source file that cannot be read as a bank export
  + ApiError                    Ropo One could not be used for the run
    - CredentialsError          POST /token refused the customer id and apicode
    - ApiUnavailableError       Ropo One could not be reached, even after retries
    - EndpointError             an answer shows the base URL or permissions are wrong
  + JournalError                the SQLite journal cannot be opened or written
    - JournalBusyError          another run holds the journal's lock for the same scope

Row-level signals, caught by the pipeline and turned into a row's outcome:

* FieldError                    one cell cannot be read (amount, date, reference); has a code
* DeliveryUnknown               a payment was sent but no readable answer came back;
                                `registered` when a 2xx came whose body could not be read
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class ImporterError(Exception):
    """Something that makes the whole run meaningless; its message says how to fix it."""


class ConfigError(ImporterError):
    """A missing or contradictory setting."""


class ProfileError(ImporterError):
    """No profile fits the file, two fit it, or a profile names a column the file lacks."""


class ReadError(ImporterError):
    """A source file that cannot be read as a bank export."""


class ApiError(ImporterError):
    """Ropo One could not be used for this run."""


class CredentialsError(ApiError):
    """POST /token refused the customer id and apicode."""


class ApiUnavailableError(ApiError):
    """Ropo One could not be reached, even after retries."""


class EndpointError(ApiError):
    """An answer shows a configuration problem: a redirect, 403, 404, 405, or a 401 right
    after a new login. Nothing was processed; the run must stop."""


class JournalError(ImporterError):
    """The SQLite journal cannot be opened or written."""


class JournalBusyError(JournalError):
    """Another run holds the journal's lock for the same environment and customer id."""


class DeliveryUnknown(Exception):  # noqa: N818 - a row-level signal, not an error of the run
    """A payment request was sent but no answer came back: Ropo One may have applied it.

    Not an ImporterError: the pipeline catches it and marks the row `unknown`. `registered`
    is True when Ropo One answered 2xx (it took the payment) but the body could not be read.
    """

    def __init__(self, message: str, *, registered: bool = False) -> None:
        super().__init__(message)
        self.registered = registered


class FieldError(ValueError):
    """One cell of a row cannot be used; `code` is the stable issue code shown to the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# Distinct values remembered: a month's dates, amounts and references repeat, and each is
# parsed once (a 1,000,000-row export has a few thousand).
CACHE = 65_536


def remembered(parse: Callable[..., T]) -> Callable[..., T]:
    """`parse` with its answers remembered per distinct (positional) arguments, refusals
    (FieldError) too: a thousand rows with the same bad reference are judged once."""

    @functools.lru_cache(maxsize=CACHE)
    def outcome(*args: Hashable) -> tuple[T | None, tuple[str, str] | None]:
        try:
            return parse(*args), None
        except FieldError as error:
            return None, (error.code, error.message)

    @functools.wraps(parse)
    def remembering(*args: Hashable) -> T:
        value, refusal = outcome(*args)
        if refusal is not None:
            raise FieldError(*refusal)  # a fresh error: a raised one keeps its traceback
        return value  # type: ignore[return-value]

    return remembering

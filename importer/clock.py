"""What time it is and what day today is: one clock, made once at the top and passed down.

The only module that asks the computer for the time. `day` fixes what today is for judging
dates (the settings' `today`, ROPO_TODAY) while timestamps still tell the real time; `at`
fixes the time itself, for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Clock:
    """The computer's clock, unless told a day or a time."""

    day: date | None = None
    at: datetime | None = None

    def now(self) -> datetime:
        """The time, in the computer's time zone (or `at`)."""
        return self.at if self.at is not None else datetime.now().astimezone()

    def today(self) -> date:
        """The day dates are judged against: `day` when set, else the date of now()."""
        return self.day if self.day is not None else self.now().date()

    def calendar_day(self) -> date:
        """The date of now(), whatever `day` says: to tell a judged day from the real one."""
        return self.now().date()


SYSTEM_CLOCK = Clock()

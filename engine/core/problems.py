"""Problems found in input: where they are, what is wrong, and how they are reported."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem at a place in a file: `PATH:LINE:COL: message`."""

    path: str
    line: int
    col: int
    message: str
    field: str = ""
    rank: int = dataclasses.field(default=0, compare=False)

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        return f"{self.path}:{self.line}:{self.col}: {self.message}{where}"


class InputError(Exception):
    """Bad usage or bad input: reported in one paragraph, exit status 2."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class PolicyError(Exception):
    """The policy set is invalid: every problem is listed, exit status 1 (validate) or 2 (other commands)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the policy set")
        self.problems = sorted(problems)


class MissingParameter(Exception):
    """A parameter the computation needs is supplied by no rule in force (or its reference figure is missing)."""

    def __init__(self, parameter: str, who: str, date: str, region: str, hint: str | None = None) -> None:
        super().__init__(f"no rule in force supplies {parameter} for {who} in region {region} on {date}")
        self.parameter, self.who, self.date, self.region = parameter, who, date, region
        self.hint = hint or f"add a rule that sets {parameter} (or check the region, date and categories)"


class MissingFact(InputError):
    """A rule needs a fact about the person or encounter that the case does not give (never silently defaulted)."""

    def __init__(self, field: str, needed_by: str) -> None:
        super().__init__(f"field {field} is needed by {needed_by} but the case does not give it")
        self.field = field

class KeyedInputError(InputError):
    """An InputError whose text comes from the message catalogue (engine.core.messages), so it can be shown in zh or en."""

    def __init__(self, key: str, problems: list[Problem] | None = None, **fields: object) -> None:
        from engine.core.messages import msg

        super().__init__(msg(key, "zh", **fields), problems)
        self.key, self.fields = key, fields

    def text(self, lang: str = "zh") -> str:
        """The message in `lang`."""
        from engine.core.messages import msg

        return msg(self.key, lang, **self.fields)

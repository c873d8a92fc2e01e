"""Problems found in input: where they are, what is wrong, and how they are reported."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from engine.core.messages import Name, Text, key_of, tr


@dataclass(frozen=True, order=True)
class Problem:
    """One problem at a place in a file: `PATH:LINE:COL: message`; a Text message renders in either language."""

    path: str
    line: int
    col: int
    message: str
    field: str = ""
    rank: int = dataclasses.field(default=0, compare=False)

    def __str__(self) -> str:
        return self.render("en")

    def render(self, lang: str = "zh") -> str:
        """`PATH:LINE:COL: message [field]` in `lang`."""
        where = f" [{self.field}]" if self.field else ""
        return f"{self.path}:{self.line}:{self.col}: {tr(self.message, lang)}{where}"

    @property
    def code(self) -> str:
        """The stable code of the message (its catalogue key)."""
        return key_of(self.message, "problem")

    def as_json(self, lang: str = "zh") -> dict[str, Any]:
        """The problem for `--format json`: code, message and location."""
        return {"code": self.code, "message": tr(self.message, lang), "file": self.path, "line": self.line,
                "column": self.col, "field": self.field}


class InputError(Exception):
    """Bad usage or bad input: reported in one paragraph, exit status 2."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def render(self, lang: str = "zh") -> str:
        """The paragraph in `lang`."""
        return str(tr(self.message, lang))

    @property
    def code(self) -> str:
        """The stable code of the error (its catalogue key; for bad usage, the key of what was wrong)."""
        if isinstance(self.message, Text) and self.message.key == "usage.error":
            return key_of(self.message.fields.get("detail"), "usage.error")
        return key_of(self.message)

    def location(self) -> dict[str, Any]:
        """The file, line and field the error names, where it names them."""
        f = self.message.fields if isinstance(self.message, Text) else {}
        out = {k: f[s] for k, s in (("file", "path"), ("line", "line"), ("field", "field"), ("option", "option")) if s in f}
        return {k: str(v) if k != "line" else v for k, v in out.items()}


class PolicyError(Exception):
    """The policy set is invalid: every problem is listed, exit status 1 (validate) or 2 (other commands)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(Text("error.policy_count", n=len(problems)))
        self.problems = sorted(problems)


class MissingParameter(Exception):
    """A parameter the computation needs is supplied by no rule in force (or its reference figure is missing)."""

    def __init__(self, parameter: str, who: str, date: str, region: str, hint: str | None = None) -> None:
        self.message = Text("error.missing_parameter", parameter=parameter, label=Name("param", parameter), who=who,
                            date=date, region=Name("region", region), region_id=region)
        super().__init__(self.message)
        self.parameter, self.who, self.date, self.region = parameter, who, date, region
        self.hint = hint or Text("error.missing_parameter_hint", parameter=parameter, label=Name("param", parameter))


class MissingFact(InputError):
    """A rule needs a fact about the person or encounter that the case does not give (never silently defaulted)."""

    def __init__(self, field: str, needed_by: str) -> None:
        super().__init__(Text("error.missing_fact", field=field, needed_by=needed_by))
        self.field = field


class KeyedInputError(InputError):
    """An InputError whose text is a catalogue key and its fields, shown in zh or en."""

    def __init__(self, key: str, problems: list[Problem] | None = None, **fields: Any) -> None:
        super().__init__(Text(key, **fields), problems)
        self.key, self.fields = key, fields

    def text(self, lang: str = "zh") -> str:
        """The message in `lang`."""
        return self.render(lang)

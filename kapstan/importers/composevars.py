"""Compose variables: ``${VAR}``, ``${VAR:-default}``, ``$VAR`` and ``$$``, and .env files.

Free text (images, environment values, commands) keeps its variables as Kapstan
placeholders of the same name (``${TAG:-1.0}`` is valid in both languages), so they
differ per environment; fields that must be known at import time (ports, volumes,
durations) are resolved to their defaults, and the report says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kapstan.errors import InputError
from kapstan.importers.result import Report
from kapstan.model.values import Scalar
from kapstan.render.placeholders import escape

_TOKEN = re.compile(r"\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_BODY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])(.*))?\Z", re.S)
_ENV_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)\Z")


def read_env_file(path: Path, where: str) -> dict[str, str]:
    """``KEY=VALUE`` lines (``export``, comments and quotes allowed); errors name file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"{where}: cannot read env file {path}: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise InputError(f"{where}: env file {path} is not UTF-8 text (byte {err.start})") from None
    out: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if match is None:
            raise InputError(f"{path}:{number}: expected KEY=VALUE, found {raw.strip()!r}")
        out[match[1]] = _env_value(match[2])
    return out


def _env_value(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        inner = raw[1:-1]
        return inner.replace("\\n", "\n") if raw[0] == '"' else inner
    return re.split(r"(?:^|\s+)#", raw, maxsplit=1)[0].strip()


@dataclass
class Variables:
    """Translates compose interpolation; collects the config keys it makes."""

    dotenv: dict[str, str]
    report: Report
    config: dict[str, Scalar] = field(default_factory=dict)

    def placeholders(self, text: str, where: str) -> str:
        """Kapstan text for ``text``: variables become placeholders, literals are escaped."""
        out: list[str] = []
        literal: list[str] = []
        pos = 0
        for match in _TOKEN.finditer(text):
            literal.append(text[pos : match.start()])
            pos = match.end()
            if match.group() == "$$":
                literal.append("$")
                continue
            translated = self._placeholder(match, where)
            if translated is None:
                literal.append(self._resolved(match, where))
                continue
            out.append(escape("".join(literal)))
            literal = []
            out.append(translated)
        literal.append(text[pos:])
        out.append(escape("".join(literal)))
        return "".join(out)

    def resolve(self, text: str, where: str) -> str:
        """``text`` with every variable replaced by its value in .env or its default."""

        def one(match: re.Match[str]) -> str:
            if match.group() == "$$":
                return "$"
            value = self._resolved(match, where)
            self.report.add(
                where,
                f"variable {match.group()} resolved to {value!r} at import "
                "(this field cannot vary per environment)",
            )
            return value

        return _TOKEN.sub(one, text)

    def resolve_quietly(self, text: str) -> str:
        """``text`` resolved to defaults, without a report (for reading references)."""
        quiet = Variables(self.dotenv, Report())
        return _TOKEN.sub(lambda m: "$" if m.group() == "$$" else quiet._resolved(m, ""), text)

    def _placeholder(self, match: re.Match[str], where: str) -> str | None:
        name, op, arg = self._parts(match, where)
        if name is None or op in ("+", ":+"):
            self.report.add(where, f"variable {match.group()} not translated: resolved at import")
            return None
        if name in self.dotenv:
            self.config[name] = self.dotenv[name]
        if op in ("-", ":-"):
            return f"${{{name}:-{arg}}}"
        if name not in self.dotenv:
            self.report.add(
                where,
                f"variable {name} has no default: set config key {name} before deploying",
            )
        return f"${{{name}}}"

    def _resolved(self, match: re.Match[str], where: str) -> str:
        name, op, arg = self._parts(match, where)
        if name is None:
            return ""
        value = self.dotenv.get(name)
        if op in ("+", ":+"):
            return arg if value else ""
        if value is None or (value == "" and op == ":-"):
            return arg if op in ("-", ":-") else ""
        return value

    def _parts(self, match: re.Match[str], where: str) -> tuple[str | None, str, str]:
        if match.group(2):
            return match.group(2), "", ""
        body = _BODY.match(match.group(1) or "")
        if body is None or "${" in (body.group(3) or ""):
            self.report.add(where, f"interpolation {match.group()} not understood: left empty")
            return None, "", ""
        return body.group(1), body.group(2) or "", body.group(3) or ""

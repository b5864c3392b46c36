"""How each configuration variable's text is read (:data:`shared.support.config.VARIABLES` names one of these
per variable): numbers in bounds, choices, secrets, lists, URLs, host names. Each parser takes the trimmed
text (never blank: blank is unset) and raises ``ValueError`` saying why not, never repeating the text (it
may be a secret); a URL is only ever shown redacted."""

from __future__ import annotations

from collections.abc import Callable
from math import inf
from urllib.parse import urlsplit

from pydantic import SecretStr

from shared.support.redact import redact_url
from shared.support.urls import host_problem

# Turns a variable's trimmed text (never blank: blank is unset) into the field's value; a ValueError says why
# not, never repeating the text (it may be a secret).
Parser = Callable[[str], object]


def integer(value: str) -> int:
    """Digits, with underscores between them and a sign; "5.0" is 5, "5." and "5e0" are not integers."""
    whole, dot, fraction = value.partition(".")
    if value.isascii() and not fraction.strip("0") and (fraction or not dot):
        try:
            return int(whole)
        except ValueError:
            pass
    raise ValueError("Input should be a valid integer, unable to parse string as an integer")


def real(value: str) -> float:
    """A decimal or exponent number, "inf" or "nan"; underscores only between characters, never two."""
    if value.isascii() and "__" not in value and not value.startswith("_") and not value.endswith("_"):
        try:
            return float(value.replace("_", ""))
        except ValueError:
            pass
    raise ValueError("Input should be a valid number, unable to parse string as a number")


def number(read: Callable[[str], float], low: float, high: float = inf, *, above: bool = False) -> Parser:
    """A number from ``low`` (excluded when ``above``) to ``high``; ``high`` is checked first (NaN fails it)."""

    def parse(value: str) -> object:
        number = read(value)
        if not number <= high:
            raise ValueError(f"Input should be less than or equal to {high}")
        if not (number > low if above else number >= low):
            raise ValueError(f"Input should be greater than {'' if above else 'or equal to '}{low}")
        return number

    return parse


def one_of(*choices: str, make: Callable[[str], object] = str) -> Parser:
    def parse(value: str) -> object:
        if value in choices:
            return make(value)
        shown = [repr(str(choice)) for choice in choices]
        raise ValueError(f"Input should be {', '.join(shown[:-1])} or {shown[-1]}")

    return parse


def secret(min_length: int = 1) -> Parser:
    """A secret of at least ``min_length`` characters (a reference may resolve to an empty one)."""
    problem = f"must be at least {min_length} characters" if min_length > 1 else "must not be empty"

    def parse(value: str) -> object:
        if len(value) < min_length:
            raise ValueError(problem)
        return SecretStr(value)

    return parse


def items(value: str) -> tuple[str, ...]:
    """A comma-separated list, its entries trimmed, blank entries dropped."""
    return tuple(item.strip() for item in value.split(",") if item.strip())


def tokens(value: str) -> tuple[SecretStr, ...]:
    tokens = items(value)
    if any(len(t) < 16 for t in tokens):
        raise ValueError("each secret must be at least 16 characters")
    return tuple(SecretStr(t) for t in tokens)


def urls(value: str) -> tuple[str, ...]:
    urls = items(value)
    for n, url in enumerate(urls, 1):
        # shown redacted: an entry may carry a token or a password even when it is wrong
        shown = f"entry {n} ({redact_url(url)!r})"
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - urlsplit checks the port only when asked
        except ValueError:
            raise ValueError(f"{shown} is not a URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{shown} is not an http(s) URL")
        if parts.username or parts.password:
            raise ValueError(f"{shown} carries credentials (user:password@); they would be logged")
    return urls


def host_suffixes(value: str) -> tuple[str, ...]:
    """Host names, each standing for itself and every name under it; ``*.`` or ``.`` before one is the same."""
    suffixes = tuple(item.lower().removeprefix("*.").removeprefix(".") for item in items(value))
    for n, suffix in enumerate(suffixes, 1):
        if host_problem(suffix) is not None:
            raise ValueError(f"entry {n} ({suffix[:80]!r}) is not a public host name such as myqcloud.com")
    return suffixes


def endpoint(value: str) -> str:
    parts = urlsplit(value)  # a malformed IPv6 host raises ValueError("Invalid IPv6 URL")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be a base URL such as http://127.0.0.1:9100")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials (user:password@); they would be logged")
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        raise ValueError("has a port that is not a number from 0 to 65535") from None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("must be a base URL with no path, e.g. http://127.0.0.1:9100")
    return value.rstrip("/")


def table(value: str) -> str | None:
    return None if value == "memory" else value

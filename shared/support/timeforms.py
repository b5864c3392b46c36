"""The times a caller may send, as the JSON Schema openapi.json states: every time the schema accepts is one
:func:`shared.support.timeutil.parse_time` accepts (``tests/unit/test_openapi_strict.py`` holds the two to
each other).

- UNIX seconds: an integer from 0 to :data:`LATEST_UNIX` (the end of 2100), or its decimal digits as text.
- ISO-8601 (RFC 3339): ``YYYY-MM-DDThh:mm[:ss[.fraction]]`` with ``Z`` or ``±hh:mm``, a real calendar date
  written in the years 1970 to 2100. 1970-01-01 is not written ahead of UTC, nor 2100-12-31 behind it: those
  would fall outside 1970-2100 in UTC.

``parse_time`` is more lenient than the schema (surrounding spaces, other ISO-8601 spellings such as
``+0800``); never the other way round. Plain strings, built once on import: nothing is compiled here.
"""

# 2100-12-31T23:59:59Z, shared.support.timeutil.LATEST (tests/unit/test_openapi_strict.py holds the two equal);
# a literal, not calendar.timegm: on Python 3.13 nothing else on realtime, tasks or webhooks' cold path loads calendar.
LATEST_UNIX = 4_133_980_799


def at_most(limit: int) -> str:
    """A regular expression of the decimal numbers 0 to ``limit``, without leading zeros."""
    digits = str(limit)
    alternatives = ["0"]
    if len(digits) > 1:  # every shorter number
        alternatives.append(f"[1-9][0-9]{{0,{len(digits) - 2}}}")
    for i, digit in enumerate(digits):  # as long as the limit: equal up to i, then smaller at i
        low = "1" if i == 0 else "0"
        high = int(digit) - 1 if i < len(digits) - 1 else int(digit)
        if high < int(low):
            continue
        tail = len(digits) - i - 1
        alternatives.append(
            digits[:i]
            + (low if high == int(low) else f"[{low}-{high}]")
            + (f"[0-9]{{{tail}}}" if tail > 1 else "[0-9]" * tail)
        )
    return "(?:" + "|".join(alternatives) + ")"


_D31 = "(?:0[1-9]|[12][0-9]|3[01])"
_D30 = "(?:0[1-9]|[12][0-9]|30)"
_D28 = "(?:0[1-9]|1[0-9]|2[0-8])"
_DAYS = f"(?:(?:0[13578]|1[02])-{_D31}|(?:0[469]|11)-{_D30}|02-{_D28})"  # Feb 29: the leap years below
_LEAP = "(?:19(?:7[26]|8[048]|9[26])|20(?:[02468][048]|[13579][26]))-02-29"  # 1972 ... 2096 (not 2100)
_MIDDLE = "(?:197[1-9]|19[89][0-9]|20[0-9]{2})"  # every offset keeps these years inside 1970-2100 in UTC
_HOURS = "(?:[01][0-9]|2[0-3]):[0-5][0-9]"
_TIME = f"[Tt ]{_HOURS}(?::[0-5][0-9](?:\\.[0-9]{{1,9}})?)?"
_ANY = f"(?:[Zz]|[+-]{_HOURS})"
_NOT_AHEAD = f"(?:[Zz]|\\+00:00|-{_HOURS})"
_NOT_BEHIND = f"(?:[Zz]|-00:00|\\+{_HOURS})"
# 1970 but its first day, 2100 but its last: any offset
_1970 = f"1970-(?:01-(?:0[2-9]|[12][0-9]|3[01])|(?:0[3578]|1[02])-{_D31}|(?:0[469]|11)-{_D30}|02-{_D28})"
_2100 = f"2100-(?:(?:0[13578]|10)-{_D31}|12-(?:0[1-9]|[12][0-9]|30)|(?:0[469]|11)-{_D30}|02-{_D28})"

ISO_PATTERN = (
    f"(?:(?:{_MIDDLE}-{_DAYS}|{_LEAP}|{_1970}|{_2100}){_TIME}{_ANY}"
    f"|1970-01-01{_TIME}{_NOT_AHEAD}|2100-12-31{_TIME}{_NOT_BEHIND})"
)
UNIX_PATTERN = at_most(LATEST_UNIX)
DESCRIPTION = (
    "ISO-8601 with an offset (2026-05-20T20:00:00+08:00, or Z) or UNIX seconds, from 1970 to the end of 2100"
)
# a time in a query (always text)
TIME_TEXT: dict[str, object] = {
    "type": "string",
    "pattern": f"^(?:{ISO_PATTERN}|{UNIX_PATTERN})$",
    "description": DESCRIPTION,
}
# a time in a JSON body: UNIX seconds as a number, or either form as text
TIME_VALUE: dict[str, object] = {
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": LATEST_UNIX},
        {"type": "string", "pattern": TIME_TEXT["pattern"]},
    ],
    "description": DESCRIPTION,
}

"""The unit a "how far / how old / how much does it cost" question wants its number in.

"How far off the point are the turbines?" is not answered by "six" (turbines) but by "800
metres": the question names a measure, and only a number carrying that measure's unit answers
it. So a number question's cue word fixes the units that may follow the number ("metres",
"miles"), or mark it ("£250,000", "aged 54"); a sentence with numbers but none in that unit
does not hold the answer, and the span quoted includes the unit.
"""

from __future__ import annotations

import re
from enum import Enum

from bot.analysis.text import wordset


class Unit(Enum):
    LENGTH = "length"  # how far, wide, tall, high, deep (and long)
    DURATION = "duration"  # how long (and old)
    AGE = "age"  # how old
    MONEY = "money"  # how much ... cost / pay / spend ...
    SPEED = "speed"  # how fast


_LENGTH = wordset(
    """metre metres meter meters m km kilometre kilometres kilometer kilometers mile miles mi
    foot feet ft inch inches yard yards cm centimetre centimetres centimeter centimeters mm
    millimetre millimetres millimeter millimeters nautical light-year light-years au"""
)
_DURATION = wordset(
    """second seconds minute minutes hour hours day days night nights week weeks fortnight
    month months year years decade decades century centuries season seasons term terms"""
)
_AGE = _DURATION | wordset("year-old years-old month-old months-old")
_MONEY = wordset(
    """dollar dollars pound pounds euro euros yuan renminbi yen rupee rupees franc francs cent
    cents pence penny lira lire peso pesos rouble roubles ruble rubles rupiah shilling shillings
    krona kronor krone kroner baht dinar dinars dirham dirhams usd gbp eur cny jpy"""
)
_SPEED = wordset("mph kph km/h knot knots")
_PER = wordset("per an a")  # "miles per hour", "metres a second"
_AGE_BEFORE = wordset("aged age")
_BETWEEN = frozenset({"-", "a", "an"})
_CURRENCY_SIGNS = "$£€¥"

_FOLLOWING: dict[Unit, frozenset[str]] = {
    Unit.LENGTH: _LENGTH,
    Unit.DURATION: _DURATION,
    Unit.AGE: _AGE,
    Unit.MONEY: _MONEY,
    Unit.SPEED: _SPEED,
}

_MONEY_VERBS = (
    r"cost|costs|costing|pay|pays|paid|paying|spend|spends|spent|spending|worth|price|priced|"
    r"earn|earns|earned|raise|raised|budget|budgeted|fund|funded|funding|charge|charged|sell|"
    r"sold|invest|invested|owe|owed|fined|money|salary|wage|wages|fee|fees|grant|awarded"
)
_CUES: tuple[tuple[re.Pattern[str], tuple[Unit, ...]], ...] = (
    # "How far back does it date?" asks for a time, not a distance.
    (re.compile(r"\bhow\s+(?:far|wide|tall|high|deep)\b(?!.*\b(?:back|ago)\b)"), (Unit.LENGTH,)),
    (re.compile(r"\bhow\s+long\b"), (Unit.DURATION, Unit.LENGTH)),
    (re.compile(r"\bhow\s+old\b"), (Unit.AGE,)),
    (re.compile(r"\bhow\s+fast\b"), (Unit.SPEED, Unit.LENGTH)),
    (re.compile(rf"\bhow\s+much\b.*\b(?:{_MONEY_VERBS})\b"), (Unit.MONEY,)),
)


def wanted_units(lowered_question: str) -> tuple[Unit, ...]:
    """The units a number answering this (normalised) question may carry, the likeliest
    first; () for any."""
    for pattern, units in _CUES:
        if pattern.search(lowered_question):
            return units
    return ()


def strict(units: tuple[Unit, ...]) -> bool:
    """Must the answer be a number in one of these units? Not for "how long", which dates
    answer as often ("from 1870 to 1939")."""
    return bool(units) and Unit.DURATION not in units


def unit_end(
    norms: list[str], texts: list[str], start: int, end: int, units: tuple[Unit, ...]
) -> int | None:
    """Where the number run norms[start:end] ends with its unit, if it carries one of `units`
    (the index after the unit word, or `end` when the run itself shows it, as "£250,000" does);
    None if it carries none of them."""
    for unit in units:
        if unit is Unit.MONEY and any(t[:1] in _CURRENCY_SIGNS for t in texts[start:end]):
            return end
        if unit is Unit.AGE and _age_before(norms, start):
            return end
        following = _FOLLOWING[unit]
        at = end + (end < len(norms) and norms[end] in _BETWEEN)  # "200-metre", "half a mile"
        if at < len(norms) and norms[at] in following:
            return at + 1
        if unit is Unit.SPEED and _per_time(norms, at):
            return at + 3
    return None


def _age_before(norms: list[str], start: int) -> bool:
    """ "aged 54", "the age of 18"."""
    before = norms[max(0, start - 2) : start]
    return bool(before) and (before[-1] in _AGE_BEFORE or before == ["age", "of"])


def _per_time(norms: list[str], at: int) -> bool:
    """ "miles per hour", "metres a second": a length, then per, then a duration."""
    return (
        at + 2 < len(norms)
        and norms[at] in _LENGTH
        and norms[at + 1] in _PER
        and norms[at + 2] in _DURATION
    )

"""Controls: reading what a reader set on a slider, a number box, a menu or a text field.

Every widget's `compute(params)` starts by turning the page's raw control values into checked Python
values: a range input sends "0.35" or 0.35, a number box may send "" or "1e400", a URL or the console may
send anything at all. These helpers accept what a browser can send, clamp numbers into the control's range
(so an extreme value still gives a sensible figure), and raise ValueError with a sentence a reader
understands for anything that cannot be read.

>>> as_number("temperature", "0.35", 0, 2), as_number("temperature", 9, 0, 2)
(0.35, 2.0)
>>> as_int("seed", 3.0, 0, 10), as_choice("dtype", "int8", ["fp16", "int8"])
(3, 'int8')
"""

import math
import numbers

from .tokenizer import without_surrogates


def as_number(name, value, low, high):  # -> float in [low, high]
    """A control's value as a finite number clamped to [low, high] (sliders may send strings)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"{name} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(min(max(float(value), low), high))  # a float even when clamped to an int bound


def as_int(name, value, low, high):  # -> int in [low, high]
    """A control's value as a whole number clamped to [low, high]; 3.0 is fine, 3.5 is not."""
    number = as_number(name, value, -math.inf, math.inf)
    if number != int(number):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return min(max(int(number), low), high)


def as_choice(name, value, choices):  # -> one of choices
    """A menu's value: one of `choices`, exactly."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r}")
    return value


def as_bool(name, value):  # -> bool
    """A checkbox's value: True/False (or the strings "true"/"false", 1/0)."""
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, bool) or (isinstance(value, numbers.Integral) and value in (0, 1)):
        return bool(value)
    raise ValueError(f"{name} must be on or off, got {value!r}")


def as_text(name, value, max_chars):  # -> str, note or None
    """A text field's value, keeping its last `max_chars` characters (with a note saying so)."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, got {type(value).__name__}")
    value = without_surrogates(value)  # a JS string may hold lone surrogates: -> U+FFFD, as tiktoken does
    if len(value) <= max_chars:
        return value, None
    return value[-max_chars:], (f"The {name} is {len(value):,} characters: only its last {max_chars:,} were used.")

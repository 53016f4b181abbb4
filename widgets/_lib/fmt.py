"""Numbers as a reader reads them, formatted in Python so a widget's view only places text.

Every function returns a string. Negative numbers get a true minus sign (U+2212), and a value that
rounds to zero never shows as "−0.00". Values are rounded half to even, as Python's format does.

>>> fixed(-0.004, 2), fixed(-1.5, 1), signed(0.1234, 3), signed(-2, 1), signed(0.0001, 2)
('0.00', '−1.5', '+0.123', '−2.0', '0.00')
>>> integer(1234567), integer(-42)
('1,234,567', '−42')
>>> percent(0), percent(1), percent(0.3426), percent(0.0004), percent(0.99996), percent(0.5, 0), percent(2)
('0%', '100%', '34.3%', '<0.1%', '>99.9%', '50%', '200.0%')
>>> significant(0.000123456, 3), significant(-98765.4, 2), sci(4.9e-05, 1), sci(-1234.5, 2)
('0.000123', '−99,000', '4.9e−05', '−1.23e+03')
>>> count(1.7e6), count(70e9), count(1.4e12), count(512), power_of_ten(6e21), power_of_ten(9.996e13)
('1.7M', '70B', '1.4T', '512', {'mantissa': '6.00', 'exponent': '21'}, {'mantissa': '1.00', 'exponent': '14'})
"""

import math

MINUS = "\u2212"


def minus(text: str) -> str:
    """A formatted number's "-" as a true minus sign, and "-0.00" (a tiny negative, rounded) as "0.00"."""
    if text.startswith("-") and text.strip("-0.,") == "":
        return text[1:]
    return text.replace("-", MINUS)


def fixed(x: float, digits: int) -> str:
    """x with `digits` decimals: 3.14, −0.50."""
    return minus(f"{x:.{digits}f}")


def signed(x: float, digits: int) -> str:
    """x with its sign always shown, and `digits` decimals: +0.123, −0.045; zero (after rounding) as 0.000."""
    text = f"{x:+.{digits}f}"
    if text[1:].strip("0.") == "":
        return text[1:]
    return minus(text)


def integer(n: int) -> str:
    """A whole number with thousands separators: 1,234,567."""
    return minus(f"{int(n):,}")


def percent(p: float, digits: int = 1) -> str:
    """A share or a probability p as a percentage with `digits` decimals (a share above 1 prints as it is).

    Exactly 0 and 1 print as 0% and 100%; a nonzero p too small to show prints as <0.1%, and a p below 1
    that would round to 100% prints as >99.9%, so a reader never reads a possible token as impossible or
    a doubtful one as certain.
    """
    if p == 0 or p == 1:
        return f"{100 * p:.0f}%"
    step = 10.0**-digits  # the smallest percentage shown
    if 100 * p < step / 2:
        return f"<{step:.{digits}f}%" if digits else "<1%"
    if 100 - step / 2 < 100 * p < 100:
        return f">{100 - step:.{digits}f}%" if digits else ">99%"
    return minus(f"{100 * p:.{digits}f}%")


def significant(x: float, n: int) -> str:
    """x to n significant digits, without an exponent: 0.000123, −99,000."""
    if x == 0 or not math.isfinite(x):
        return minus(f"{x:g}")
    rounded = float(f"{x:.{n - 1}e}")
    decimals = max(0, n - 1 - math.floor(math.log10(abs(rounded))))
    return minus(f"{rounded:,.{decimals}f}")


def sci(x: float, digits: int) -> str:
    """x in scientific notation with `digits` decimals, true minus signs in mantissa and exponent: 4.9e−05."""
    return f"{x:.{digits}e}".replace("-", MINUS)


def count(n: float) -> str:
    """A count (parameters, tokens) with a suffix, 3 significant digits: 1.7M, 70B, 1.4T."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:.3g}{suffix}"
    return f"{n:.3g}"


def power_of_ten(x: float) -> dict:
    """x > 0 as a mantissa with 2 decimals and an exponent, for "6.00 × 10^21" (a view sets the exponent
    as a superscript, so the two come as separate strings)."""
    exponent = math.floor(math.log10(x))
    mantissa = x / 10**exponent
    if round(mantissa, 2) >= 10:  # 9.996 prints as 10.00: make it 1.00 x 10 one power up
        mantissa, exponent = mantissa / 10, exponent + 1
    return {"mantissa": f"{mantissa:.2f}", "exponent": str(exponent)}


# Layout, not reader text: where a view puts things, written the same way in every figure.


def css_percent(fraction: float) -> str:
    """A fraction of a box as a CSS length, for a bar's width or a marker's place: 0.3426 -> "34.3%".

    >>> css_percent(0.3426), css_percent(1), css_percent(0)
    ('34.3%', '100.0%', '0.0%')
    """
    return f"{100 * fraction:.1f}%"


def svg_attrs(**coords: float) -> dict:
    """SVG coordinates as attribute text, to 2 decimals.

    >>> svg_attrs(cx=12.345, cy=-3, r=4)
    {'cx': '12.35', 'cy': '-3.00', 'r': '4.00'}
    """
    return {k: f"{float(v):.2f}" for k, v in coords.items()}


def svg_points(pairs) -> str:
    """[(x, y), ...] as a polyline's or polygon's points attribute, to 2 decimals.

    >>> svg_points([(1, 2.5), (3.456, -4)])
    '1.00,2.50 3.46,-4.00'
    """
    return " ".join(f"{float(x):.2f},{float(y):.2f}" for x, y in pairs)

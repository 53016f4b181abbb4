"""Where an SVG chart's parts go: the plot box inside the drawing, and bars scaled into it.

A widget's chart is drawn by its view in SVG units that Python chose: the drawing is width x height,
the plot box sits `left`, `right`, `top`, `bottom` units in from its edges, and y grows downwards.
Python works out every coordinate (the view only places them), so these are layout helpers, not math
about models.

>>> frame(400, 200, 40, 10, 8, 20)
{'left': 40, 'right': 390, 'top': 8, 'bottom': 180, 'width': 400, 'height': 200, 'viewbox': '0 0 400 200'}
>>> bars([4, 2, 0], 4, frame(100, 60, 10, 0, 10, 10))
[{'x': 10.0, 'w': 30.0, 'y': 10.0, 'h': 40.0}, {'x': 40.0, 'w': 30.0, 'y': 30.0, 'h': 20.0}, {'x': 70.0, 'w': 30.0, 'y': 50.0, 'h': 0.0}]
"""


def frame(width, height, left, right, top, bottom) -> dict:
    """The plot box of a width x height drawing, margins given, as the coordinates a view reads."""
    return {
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": height - bottom,
        "width": width,
        "height": height,
        "viewbox": f"0 0 {width} {height}",
    }


def layout_3d(scene: dict, uirevision: str) -> dict:
    """A plotly 3-D figure's layout in the page's theme: colours are CSS variable names that
    site/static/js/plot3d.js swaps for the theme's values; uirevision keeps the reader's own turn of the
    view until it changes."""
    return {
        "scene": scene,
        "uirevision": uirevision,
        "paper_bgcolor": "--bg",
        "font": {"color": "--fg", "family": "--font-ui"},
        "showlegend": False,
        "modebar": {"bgcolor": "--bg", "color": "--muted", "activecolor": "--accent"},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "height": 420,
    }


def bars(values, top, box) -> list:  # [n] -> n x {"x", "w", "y", "h"}
    """Side-by-side bars filling the plot box's width, each as tall as value / top of its height."""
    plot_w, plot_h = box["right"] - box["left"], box["bottom"] - box["top"]
    bar_w = plot_w / len(values)
    return [
        {
            "x": round(box["left"] + i * bar_w, 2),
            "w": round(bar_w, 2),
            "y": round(box["top"] + plot_h * (1 - v / top), 2),
            "h": round(plot_h * v / top, 2),
        }
        for i, v in enumerate(values)
    ]

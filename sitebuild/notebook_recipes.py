"""Each figure's notebook cell, by widget: the llm_core calls its compute() makes, written for a student.

A recipe is the cell's imports, the names of the widget parameters it reads (the notebook assigns each
from the chapter's inputs, `name = value`, above the body) and the body, which prints what the figure
shows. Every recipe runs in tests/build/test_notebooks.py, on every chapter that places its widget.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Recipe:
    imports: str
    inputs: tuple[str, ...]
    body: str


RECIPES: dict[str, Recipe] = {
    "neg_log": Recipe(
        "from llm_core.loss import surprise",
        ("p",),
        """
# The loss of one prediction: -ln p, in nats, when the model gave the right token probability p.
print(f"p = {p}: loss = {surprise(p):.3f} nats")
for q in (1.0, 0.5, 0.25, 0.1, 0.01, 0.001):
    print(f"  p = {q:<6} -> {surprise(q):.3f} nats")
""",
    ),
}

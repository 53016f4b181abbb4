"""The sampling controls widgets share (temperature, top-k, top-p, min-p, seed), read through llm_core.controls.

generate, next_token, model_pass, cached_generation, checkpoint_samples and chat let the reader set how
the next token is drawn; each reads the same controls with the same ranges, so the sliders mean the same
thing on every page and `llm_core.sampling.sample` gets values it accepts.

>>> read_sampling({"temperature": "0.7", "top_k": 500, "seed": 3.0}, ("temperature", "top_k", "seed"))
{'temperature': 0.7, 'top_k': 100, 'seed': 3}
>>> read_prompt({"prompt": 5})
Traceback (most recent call last):
...
ValueError: the prompt must be text
"""

from llm_core.controls import as_int, as_number

MAX_TEMPERATURE = 2.0
MAX_TOP_K = 100  # 0 turns top-k off
MAX_SEED = 2**32 - 1  # a seed box takes any unsigned 32-bit number
SAMPLING = ("temperature", "top_k", "top_p", "min_p", "seed")

_READERS = {
    "temperature": lambda v: as_number("temperature", v, 0.0, MAX_TEMPERATURE),
    "top_k": lambda v: as_int("top_k", v, 0, MAX_TOP_K),
    "top_p": lambda v: as_number("top_p", v, 0.0, 1.0),
    "min_p": lambda v: as_number("min_p", v, 0.0, 1.0),
    "seed": lambda v: as_int("seed", v, 0, MAX_SEED),
}


def read_sampling(p: dict, keys=SAMPLING) -> dict:
    """The sampling controls named in keys, from the params p, checked and clamped into their ranges."""
    return {key: _READERS[key](p[key]) for key in keys}


def read_prompt(p: dict, key="prompt") -> str:
    """A prompt field's value, which must be text (its length is dealt with by widgetlib.prompt)."""
    if not isinstance(p[key], str):
        raise ValueError(f"the {key} must be text")
    return p[key]

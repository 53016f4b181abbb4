"""The models a reader can run in Glassbox's widgets, by name.

"tiny": Glassbox's own model (models/tiny/, 1.7M parameters), trained for this site; always there.
"smollm2": SmolLM2-135M-Instruct (HuggingFaceTB, Apache-2.0), a real chat model, read from its GGUF
file by llm_core.gguf. In the browser it is there only once the reader pressed its Load button (98 MB);
before that, asking for it is a ValueError that tells the reader so.
"file": a Llama-architecture GGUF file the reader opened from their own disk (never uploaded: the page
reads it), once the page has checked and loaded it.

Both are llm_core.model.Model objects: every widget runs them through the same forward and generate.
"""

import functools

from . import gguf
from .model_files import load_model

MODEL_NAMES = {"tiny": "Glassbox's tiny model", "smollm2": "SmolLM2-135M-Instruct", "file": "your GGUF file"}


@functools.cache
def tiny_model():  # -> Model
    return load_model("models/tiny")


def get_model(name="tiny"):  # -> Model
    """The model called name ("tiny", "smollm2" or "file")."""
    if name == "tiny":
        return tiny_model()
    if name == "smollm2":
        return gguf.data_model(gguf.SMOLLM2)
    if name == "file":
        if gguf.READER_FILE not in gguf._data_models:
            raise ValueError("no GGUF file of yours is loaded yet: open one with the model switch first")
        return gguf._data_models[gguf.READER_FILE]
    raise ValueError(f"model must be one of {', '.join(MODEL_NAMES)}; got {name!r}")

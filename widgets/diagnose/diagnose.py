"""Diagnose: which of four lenses (weights, context, scaffolding, decoding) explains a model's bad behaviour.

Each scenario describes something a deployed model did wrong. The reader picks the lens they think is the
cause; compute says whether it matches and why. The two scenarios about decoding are not only a quiz: they
run Glassbox's tiny model (`llm_core.generation.generate`) so the behaviour happens on the page. Greedy decoding
(temperature 0) is counted for repeated 3-token phrases against a sampled continuation of the same prompt;
sampling with three seeds shows the same question getting different answers. The generations depend only
on the scenario, so they are cached: the first visit to a decoding scenario runs the model (about a
second in a browser), later ones are instant.
"""

import functools

from llm_core.controls import as_choice
from widgetlib.prompt import prompt_ids
from llm_core.tokenizer import render_token
from widgetlib.model import TINY_FILES, tiny

NGRAM = 3  # a token repeats if it ends a 3-token phrase that already appeared earlier in the text
# Each new token is one forward pass (~30 ms in a browser): 32 + 16 for "repeat", 3 x 8 for "vary", run once.
REPEAT_PROMPT, REPEAT_TOKENS, REPEAT_SAMPLED_TOKENS, REPEAT_TEMPERATURE = "Our relations with", 32, 16, 0.8
VARY_PROMPT, VARY_TOKENS, VARY_SEEDS = "The state of the Union is", 8, (0, 1, 2)
REL_TOL = 1e-3  # probabilities come from the float32 model (token ids and counts compare exactly)

LENSES = {
    "weights": "Weights: what training stored in the parameters: knowledge up to the training cutoff, skills, style.",
    "context": "Context: what is in the window this time: the prompt, documents and chat history, how long it is "
    "and where each thing sits.",
    "scaffolding": "Scaffolding: the program around the model: system prompt, retrieval, tools, validation and "
    "retries, which parts of a chat are kept.",
    "decoding": "Decoding: how each token is picked from the model's probabilities: greedy or sampled, "
    "temperature, top-p, constraints, stop rules.",
}
SCENARIOS = {
    "news": {
        "title": "Wrong about last week's news",
        "text": "Asked who won an election held last week, the assistant names the wrong person, confidently.",
        "accept": ["weights"],
        "why": "The weights were fixed when training ended; nothing about last week is in them, so the model "
        "writes the most plausible-sounding answer from older text. Sampling settings cannot add a fact. "
        "The fix comes from another lens: put the news into the context, for example with a search tool "
        "(scaffolding).",
        "demo": None,
    },
    "repeat": {
        "title": "Repeats itself at temperature 0",
        "text": "At temperature 0, a story generator writes the same sentence again and again.",
        "accept": ["decoding"],
        "why": "Greedy decoding always takes the single most likely token. Once a phrase has appeared, repeating "
        "it is often the most likely continuation, and a loop feeds itself. Sampling (temperature above 0, "
        "top-p) or a repetition penalty breaks it; the tiny model shows it below.",
        "demo": "repeat",
    },
    "middle": {
        "title": "Misses a clause mid-document",
        "text": "Given a 100-page contract, the model answers questions about pages 1 and 100 correctly but misses "
        "a clause on page 50.",
        "accept": ["context"],
        "why": "The fact was in the window, but models use the start and the end of a long context better than "
        'the middle ("lost in the middle", Liu et al. 2023, arXiv:2307.03172). Shorter, more focused '
        "context (retrieve the relevant pages) or putting the key passage near the question helps.",
        "demo": None,
    },
    "json": {
        "title": "Broken JSON now and then",
        "text": "An app asks for JSON; about one reply in twenty has a missing brace or a comment, and the parser "
        "fails.",
        "accept": ["decoding", "scaffolding"],
        "why": "The model writes JSON well most of the time, but sampling gives every token some chance of going "
        "wrong. Constrained decoding masks every token that would break the grammar, so the output always "
        "parses (decoding); validating and retrying does the same from outside (scaffolding).",
        "demo": None,
    },
    "vary": {
        "title": "A different answer each time",
        "text": "Asked exactly the same question twice, the chatbot gives two different answers.",
        "accept": ["decoding"],
        "why": "With temperature above 0 every token is a random draw from the model's distribution, so the same "
        "prompt can lead to different text. Temperature 0 (or a fixed seed) makes it repeatable; the tiny "
        "model below continues one prompt with three seeds.",
        "demo": "vary",
    },
    "forget": {
        "title": "Forgets the user's name",
        "text": "Deep into a long chat, the assistant no longer knows the user's name, given in the first message.",
        "accept": ["context", "scaffolding"],
        "why": "The model only sees what is in its window. When a chat outgrows it, the app drops or summarises "
        "the oldest turns (scaffolding decides which), and the name is simply no longer in the context.",
        "demo": None,
    },
    "arithmetic": {
        "title": "Wrong at long multiplication",
        "text": "The model gets 7-digit multiplications wrong about half the time.",
        "accept": ["weights"],
        "why": "Long multiplication is a skill the network did not learn reliably; tokenizers also split numbers "
        "into uneven chunks. No prompt makes the weights multiply exactly. The robust fix is scaffolding: "
        "give the model a calculator tool.",
        "demo": None,
    },
}

DEFAULTS = {"scenario": "repeat", "lens": ""}
EXAMPLES = [
    {"scenario": "news", "lens": "weights"},
    {"scenario": "json", "lens": "scaffolding"},
    {"scenario": "vary", "lens": "context"},
]
DATA = TINY_FILES
CODE = ["llm_core.generation.generate", "llm_core.sampling.sample"]


def read_params(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    return {
        "scenario": as_choice("scenario", p["scenario"], list(SCENARIOS)),
        "lens": as_choice("lens", p["lens"], ["", *LENSES]),
    }


def repeated(ids: list, n: int = NGRAM) -> list:  # [n_seq] -> [n_seq] bool
    """True at each position that ends an n-token phrase which already occurred earlier in ids.

    [5, 6, 7, 5, 6, 7] with n=3 -> [F, F, F, F, F, T]
    """
    seen, out = set(), [False] * len(ids)
    for i in range(n - 1, len(ids)):
        gram = tuple(ids[i - n + 1 : i + 1])
        out[i] = gram in seen
        seen.add(gram)
    return out


def chips(ids: list, flags: list) -> list:
    enc = tiny().encoding
    return [
        {"id": int(i), "segs": render_token(enc.decode_tokens_bytes([i])[0]), "repeat": bool(f)}
        for i, f in zip(ids, flags)
    ]


def continuation(prompt: str, n_tokens: int, temperature: float, seed: int) -> dict:
    """One run of the tiny model: the new tokens as chips (repeats flagged over prompt + answer), and counts."""
    model = tiny()
    ids, _ = prompt_ids(model, prompt, n_tokens)
    out = model.generate(ids, n_tokens, temperature=temperature, seed=seed)
    flags = repeated(out["prompt_ids"] + out["new_ids"])[len(out["prompt_ids"]) :]
    head = "Greedy (temperature 0)" if temperature == 0 else f"Sampled, temperature {temperature:g}, seed {seed}"
    return {
        "temperature": temperature,
        "seed": seed,
        "head": head,
        "tokens": chips(out["new_ids"], flags),
        "n_repeated": sum(flags),
        "n_tokens": len(out["new_ids"]),
        "mean_p": sum(s["prob"] for s in out["steps"]) / len(out["steps"]),
    }


@functools.cache
def demo(kind: str) -> dict:
    if kind == "repeat":
        runs = [
            continuation(REPEAT_PROMPT, REPEAT_TOKENS, 0.0, 0),
            continuation(REPEAT_PROMPT, REPEAT_SAMPLED_TOKENS, REPEAT_TEMPERATURE, 0),
        ]
        return {"kind": kind, "prompt": REPEAT_PROMPT, "ngram": NGRAM, "runs": runs}
    runs = [continuation(VARY_PROMPT, VARY_TOKENS, 1.0, seed) for seed in VARY_SEEDS]
    return {"kind": kind, "prompt": VARY_PROMPT, "ngram": NGRAM, "runs": runs}


def compute(params: dict) -> dict:
    p = read_params(params)
    s = SCENARIOS[p["scenario"]]
    answered = p["lens"] != ""
    correct = answered and p["lens"] in s["accept"]
    names = " or ".join(s["accept"])
    if not answered:
        verdict = "Pick the lens you think explains it."
    elif correct:
        verdict = f"Yes: {p['lens']}." + (f" (Both {names} are fair answers.)" if len(s["accept"]) > 1 else "")
    else:
        verdict = f"Not quite: this one is {names}."
    return {
        "scenario": {"key": p["scenario"], "text": s["text"]},
        "scenarios": [{"key": k, "label": v["title"]} for k, v in SCENARIOS.items()],
        "lenses": [{"key": k, "text": v} for k, v in LENSES.items()],
        "answered": answered,
        "correct": correct,
        "accept": s["accept"],
        "verdict": verdict,
        "why": s["why"],
        "demo": demo(s["demo"]) if s["demo"] else None,
        "params": p,
    }

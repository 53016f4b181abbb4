"""Every "check yourself" answer is true for the widget it sends the reader to.

Each chapter ends with a `::: check` section (sitebuild/chapters.py): questions answered by setting a
widget's controls. For every answer, PINS holds the widget, the params the question sets and each value the
answer states, as the widget shows it (its text fields, or a token as its chips read). The test computes
the widget, compares, and looks for the value in the answer's text; and every number an answer states must
be pinned (or be a setting the question gives, or a number the chapter's own prose states, which its
chapter's tests pin).
"""

import re
from pathlib import Path

import pytest
from widget_loader import load_widget, run

from sitebuild.chapters import parse_chapter

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = {p.stem: parse_chapter(p) for p in sorted((ROOT / "chapters").glob("*.md"))}
WIDGETS: dict = {}


def widget(name):
    if name not in WIDGETS:
        WIDGETS[name] = load_widget(name)
    return WIDGETS[name]


def token(chip) -> str:
    """A token chip as the reader reads it: a space mark is a space."""
    return "".join(" " if kind == "w" else text for kind, text in chip["segs"])


def tokens(chips) -> str:
    return "".join(token(c) for c in chips)


def by_name(rows, name, key="name"):
    return next(r for r in rows if r[key] == name)


def sgd_final(result) -> str:
    """optimizer_race's SGD loss at the end of its run, as the figure prints it."""
    return result["runs"][0]["final_text"]


LOOP = " the United States of the United States"  # what the step-125 checkpoint repeats


def pref_texts(result) -> list:
    """reward_ranking's preference table as it reads."""
    return [[cell["text"] for cell in row] for row in result["pref_cells"]]


def number_word(n: int) -> str:
    return "zero one two three four five six seven eight nine ten".split()[n]


def stat(result, label: str) -> str:
    """The value of the lora_rank table row whose label starts with label."""
    return next(value for name, value in result["stats"] if name.startswith(label))


def billions(text: str) -> float:
    """A parameter count as the scaling widgets print it, "13.5B", in billions."""
    return float(text.removesuffix("B"))


def segment(result, key: str) -> str:
    """One part of parallelism_calculator's memory bar, as its label prints it."""
    return next(seg["text"] for seg in result["memory"]["segments"] if seg["key"] == key)


def setup_row(result, setup: str) -> dict:
    """One row of mixed_precision's table, by its setup."""
    return next(row for row in result["table"] if row["setup"] == setup)


def readout(result) -> str:
    """training_curves' readout as one line of text."""
    return "".join(part["text"] for part in result["readout"])


def factor_texts(result) -> list[str]:
    """backprop_step's chain-rule factors as the figure prints them."""
    return [f["text"] for f in result["chain"]["factors"]]


def exact(result) -> str:
    """data_pipeline's exact Jaccard for the reader's pair, as its sentence prints it."""
    return re.search(r"exact Jaccard ([\d.]+)", result["pair"]["text"])[1]


def swapped(result, share: str) -> dict:
    """The data_pipeline row of the planted near copy with that share of its words swapped."""
    return next(d for d in result["documents"] if d["planted"].startswith(share))


# (chapter, question number from 1) -> [(widget, params, value read from the result, expected text)]
PINS = {
    ("00-function-in-a-loop", 1): [
        ("model_pass", {}, lambda r: token(r["top"][0]), ","),
        ("model_pass", {}, lambda r: r["top"][0]["p_text"], "34.3%"),
        ("model_pass", {}, lambda r: r["n_other_text"], "4,091"),
        ("model_pass", {}, lambda r: r["other_p_text"], "31.8%"),
    ],
    ("00-function-in-a-loop", 2): [
        ("model_pass", {"temperature": 0, "step": 5}, lambda r: str(r["n_seq"]), "12"),
        ("model_pass", {"temperature": 0, "step": 5}, lambda r: str(r["n_prompt_tokens"]), "7"),
        (
            "model_pass",
            {"temperature": 0, "step": 5},
            lambda r: tokens(r["tokens"]),
            "The President of the United States, and the people of",
        ),
    ],
    ("01-tokenization", 1): [
        ("tokenizer_compare", {}, lambda r, enc=enc: by_name(r["encodings"], enc)["n_tokens_text"], n)
        for enc, n in [("o200k_base", "50"), ("cl100k_base", "55"), ("r50k_base", "66"), ("SmolLM2", "76")]
    ],
    ("01-tokenization", 2): [
        *[
            ("tokenizer_compare", {"text": "strawberry"}, lambda r, i=i: r["encodings"][i]["n_tokens_text"], "3")
            for i in range(4)
        ],
        (
            "tokenizer_compare",
            {"text": "strawberry"},
            lambda r: "`, `".join(token(t) for t in by_name(r["encodings"], "o200k_base")["tokens"]),
            "st`, `raw`, `berry",
        ),
    ],
    ("01-tokenization", 3): [
        ("bpe_stepper", {"text": "unbelievably", "step": 99}, lambda r: str(len(r["ids"])), "3"),
        (
            "bpe_stepper",
            {"text": "unbelievably", "step": 99},
            lambda r: "`, `".join(token(c) for c in r["groups"][0]["chips"]),
            "un`, `bel`, `ievably",
        ),
        ("bpe_stepper", {"text": "unbelievably"}, lambda r: str(r["n_steps"]), "9"),
        ("bpe_stepper", {"text": " unbelievably", "step": 99}, lambda r: "single" * (len(r["ids"]) == 1), "single"),
        ("bpe_stepper", {"text": " unbelievably"}, lambda r: str(r["n_steps"]), "12"),
    ],
    ("01-tokenization", 4): [
        ("bpe_train", {"vocab_size": 320}, lambda r: r["custom"]["n_tokens_text"], "24"),
        ("bpe_train", {"vocab_size": 1024}, lambda r: r["custom"]["n_tokens_text"], "18"),
        ("bpe_train", {"vocab_size": 1024}, lambda r: r["reference"]["n_tokens_text"], "14"),
        ("bpe_train", {"vocab_size": 1024}, lambda r: r["texts"]["n_merges"], "187"),
        (
            "bpe_train",
            {"vocab_size": 1024},
            lambda r: "no pair occurs twice" * ("twice" in r["note"]),
            "no pair occurs twice",
        ),
    ],
    ("02-embeddings", 1): [("token_vector", {}, lambda r: r["cosine_text"], "+0.806")],
    ("02-embeddings", 2): [
        *[
            (
                "vector_math",
                {"a": " February", "b": " January", "c": " March", "expect": " April"},
                lambda r, i=i: f"`{token(r['results'][i])}` ({r['results'][i]['cosine_text']})",
                text,
            )
            for i, text in [(0, "` August` (0.730)"), (1, "` May` (0.725)")]
        ],
        (
            "vector_math",
            {"a": " February", "b": " January", "c": " March", "expect": " April"},
            lambda r: ["first", "second", "third"][r["expect_rank"] - 1],
            "third",
        ),
        (
            "vector_math",
            {"a": " February", "b": " January", "c": " March", "expect": " April"},
            lambda r: r["expect_cosine_text"],
            "0.716",
        ),
    ],
    ("02-embeddings", 4): [
        ("superposition", {"sparsity": 0}, lambda r: f"{r['n_kept']} of {len(r['rows'])}", "2 of 5"),
        (
            "superposition",
            {"sparsity": 0},
            lambda r: "right angles" * all(row["status"] != "shares" for row in r["rows"]),
            "right angles",
        ),
    ],
    ("03-neurons", 1): [
        ("activation_explorer", {"x": -1}, lambda r, i=i: r["curves"][i]["value_text"], v)
        for i, v in [(0, "0.000"), (1, "−0.159"), (2, "−0.269")]
    ],
    ("03-neurons", 2): [
        ("neuron", {}, lambda r: r["z_text"], "0.57"),
        ("neuron", {"activation": "relu"}, lambda r: r["y_text"], "0.57"),
        ("neuron", {"activation": "sigmoid"}, lambda r: r["y_text"], "0.64"),
    ],
    ("03-neurons", 3): [
        ("linear_collapse", {"between": "identity"}, lambda r: r["max_diff_text"], "under 1e−14"),
        ("linear_collapse", {"between": "relu"}, lambda r: r["max_diff_text"], "1.723"),
    ],
    ("04-feed-forward", 1): [
        ("dense_layer", {}, lambda r: str(r["n_multiplies"]), "12"),
        ("dense_layer", {}, lambda r: str(r["n_params"]), "16"),
        ("dense_layer", {}, lambda r: str(r["d_out"]), "4"),
    ],
    ("04-feed-forward", 2): [
        ("dense_layer", {}, lambda r: r["outputs"][0]["y_text"], "−1.60"),
        ("dense_layer", {"activation": "relu"}, lambda r: r["outputs"][0]["h_text"], "0.00"),
        ("dense_layer", {"activation": "relu"}, lambda r: r["outputs"][3]["h_text"], "3.50"),
    ],
    ("04-feed-forward", 3): [
        ("swiglu_ffn", {}, lambda r: token(r["token"]), " President"),
        ("swiglu_ffn", {}, lambda r: str(r["n_gate_negative"]), "271"),
        ("swiglu_ffn", {}, lambda r: str(r["d_ff"]), "384"),
        ("swiglu_ffn", {}, lambda r: r["texts"]["ratio"], "0.31"),
    ],
    ("05-attention", 1): [
        ("attention_head", {}, lambda r: token({"segs": r["query_segs"]}), " now"),
        ("attention_head", {}, lambda r: token(r["top"][0]), " act"),
        ("attention_head", {}, lambda r: r["top"][0]["weight_text"], "0.948"),
        ("attention_head", {}, lambda r: "just before" * (r["top"][0]["pos"] == r["query"] - 1), "just before"),
    ],
    ("05-attention", 2): [
        ("attention_head", {"query": 0}, lambda r: token(r["top"][0]), "I"),
        ("attention_head", {"query": 0}, lambda r: r["top"][0]["weight_text"], "1.000"),
    ],
    ("05-attention", 3): [
        ("attention_head", {"causal": False}, lambda r: token(r["top"][1]), "."),
        ("attention_head", {"causal": False}, lambda r: r["top"][1]["weight_text"], "0.091"),
        ("attention_head", {"causal": False}, lambda r: r["top"][0]["weight_text"], "0.862"),
    ],
    ("06-multi-head-attention", 1): [
        ("attention_maps", {}, lambda r: r["chosen_title"].split(" (")[0].lower(), "layer 4, query head 0"),
        ("attention_maps", {}, lambda r: re.search(r"put ([\d.]+%)", r["chosen_summary"])[1], "69.8%"),
        (
            "attention_maps",
            {},
            lambda r: "previous token" * ("previous token" in r["chosen_summary"]),
            "previous token",
        ),
    ],
    ("06-multi-head-attention", 2): [
        ("kv_memory", {}, lambda r: by_name(r["variants"], "GQA")["human"], "1.25 GiB"),
        ("kv_memory", {}, lambda r: by_name(r["variants"], "MHA")["human"], "10 GiB"),
        ("kv_memory", {}, lambda r: f"{by_name(r['variants'], 'GQA')['saving']}× smaller", "8× smaller"),
    ],
    ("06-multi-head-attention", 3): [
        ("kv_memory", {"log2_context": 13, "precision": "int8"}, lambda r: r["context_text"], "8,192"),
        (
            "kv_memory",
            {"log2_context": 13, "precision": "int8"},
            lambda r: by_name(r["variants"], "GQA")["human"],
            "1.25 GiB",
        ),
    ],
    ("06-multi-head-attention", 4): [
        ("attention_maps", {"switch_off": True}, lambda r: f"`{r['ablation']['rows'][0]['after']}`", "`I`"),
        ("attention_maps", {"switch_off": True}, lambda r: r["ablation"]["rows"][0]["moved"], "41.4%"),
    ],
    ("07-rope", 1): [
        ("rope_rotation", {}, lambda r: r["score_text"], "−0.186962"),
        ("rope_rotation", {}, lambda r: r["offset_text"], "5"),
    ],
    ("07-rope", 2): [("rope_rotation", {"m": 40, "n": 35}, lambda r: r["score_text"], "−0.186962")],
    ("07-rope", 3): [
        ("rope_frequencies", {"factor": 4}, lambda r, i=i: str(r["schemes"][i]["n_unseen"]), f"{n} with")
        for i, n in [(0, 9), (1, 0), (2, 8)]
    ]
    + [("rope_frequencies", {"factor": 4}, lambda r: r["new_context"], "1,024 tokens")],
    ("08-transformer-block", 1): [
        ("param_counter", {}, lambda r: r["total_text"], "1,705,600"),
        ("param_counter", {}, lambda r: re.search(r"hold ([\d.]+%)", r["foot_text"])[1], "69.3%"),
        ("param_counter", {"config": "llama-3-8b"}, lambda r: r["total_text"], "8,030,261,248"),
        ("param_counter", {"config": "llama-3-8b"}, lambda r: re.search(r"hold ([\d.]+%)", r["foot_text"])[1], "86.9%"),
        ("param_counter", {"config": "llama-3-8b"}, lambda r: f"{r['shape']['n_layer']} blocks", "32 blocks"),
    ],
    ("08-transformer-block", 2): [
        ("logit_lens", {}, lambda r: str(r["n_scored"]), "14"),
        ("logit_lens", {}, lambda r: f"{r['hits'][0]} from the embedding", "0 from the embedding"),
        ("logit_lens", {}, lambda r: f"{r['hits'][-1]} at the output", "9 at the output"),
        ("logit_lens", {}, lambda r: ", ".join(map(str, r["hits"][1:-1])), "1, 3, 5, 5, 6"),
    ],
    ("09-sampling", 1): [
        ("next_token", {}, lambda r: r["kept_text"], "12"),
        ("next_token", {}, lambda r: token(r["rows"][0]), ","),
        ("next_token", {}, lambda r: r["rows"][0]["nums"].replace(" → ", " to "), "34.3% to 42.8%"),
    ],
    ("09-sampling", 2): [
        ("next_token", {"temperature": 0.1}, lambda r: r["rows"][0]["nums"].split(" → ")[0], ">99.9%"),
        ("next_token", {"temperature": 0.1}, lambda r: r["rows"][0]["nums"].split(" → ")[1], "100%"),
        ("next_token", {"temperature": 0.1}, lambda r: "a single token" * (r["kept_text"] == "1"), "a single token"),
        ("next_token", {"temperature": 0.1}, lambda r: r["entropy_text"], "0.00 nats"),
    ],
    ("09-sampling", 3): [
        ("next_token", {"temperature": 2}, lambda r: r["kept_text"], "1,112"),
        ("next_token", {"temperature": 2}, lambda r: re.search(r"perplexity ([\d.]+)", r["stats_tail"])[1], "519.0"),
    ],
    ("10-kv-cache", 1): [
        ("cached_generation", {}, lambda r: str(r["positions_cached"]), "22"),
        ("cached_generation", {}, lambda r: str(r["positions_uncached"]), "232"),
        ("cached_generation", {}, lambda r: "identical" * r["identical"], "identical"),
    ],
    ("10-kv-cache", 2): [
        ("cached_generation", {"n_tokens": 32}, lambda r: str(r["positions_cached"]), "38"),
        ("cached_generation", {"n_tokens": 32}, lambda r: str(r["positions_uncached"]), "720"),
    ],
    ("10-kv-cache", 3): [
        ("kv_memory", KV405, lambda r, v=v: by_name(r["variants"], v)["human"], h)
        for KV405 in [{"model": "llama-3.1-405b", "log2_context": 17}]
        for v, h in [("GQA", "63 GiB"), ("MHA", "1,008 GiB")]
    ]
    + [
        (
            "kv_memory",
            {"model": "llama-3.1-405b", "log2_context": 17, "batch": 8},
            lambda r: by_name(r["variants"], "GQA")["human"],
            "504 GiB",
        )
    ],
    ("11-quantization", 1): [
        ("quantized_model", {}, lambda r: re.search(r"new token \d+", r["verdict"])[0], "new token 4"),
    ],
    ("11-quantization", 2): [
        ("quantized_model", {"format": "int8"}, lambda r: re.search(r"new token \d+", r["verdict"])[0], "new token 19"),
    ],
    ("11-quantization", 3): [
        ("model_size", {}, lambda r, f=f: by_name(r["real"]["rows"], f, "format")["gb_text"], gb)
        for f, gb in [("fp16", "16.1 GB"), ("int4", "4.52 GB")]
    ]
    + [
        ("model_size", {}, lambda r, f=f: by_name(r["real"]["rows"], f, "format")["fits_text"].split(": ")[1], fits)
        for f, fits in [("fp16", "NVIDIA RTX 4090 (24 GB)"), ("int4", "Google Pixel 8 phone (8 GB)")]
    ],
    ("12-loss", 1): [
        ("neg_log", {"p": p}, lambda r: f"{r['nats_text']} nats ({r['bits_text']} bits)", text)
        for p, text in [
            (0.5, "0.693 nats (1.000 bits)"),
            (0.25, "1.386 nats (2.000 bits)"),
            (0.125, "2.079 nats (3.000 bits)"),
        ]
    ],
    ("12-loss", 2): [
        ("token_loss", {"text": PEACE}, read, text)
        for PEACE in ["The people of the United States have a right to expect peace."]
        for read, text in [
            (
                lambda r: f"`{token(r['least'][0])}` is almost free: {r['least'][0]['loss_text']} nats",
                "` States` is almost free: 0.01 nats",
            ),
            (lambda r: r["least"][0]["p_text"], "99.3%"),
            (lambda r: f"`{token(r['least'][0]['guess'])}`", "` States`"),
            (lambda r: f"`{token(r['most'][0])}`, {r['most'][0]['loss_text']} nats", "`he`, 8.33 nats"),
            (
                lambda r: f"{r['stats']['text']['mean']} nats, a perplexity of {r['stats']['text']['perplexity']}",
                "2.733 nats, a perplexity of 15.4",
            ),
        ]
    ],
    ("13-backprop", 1): [
        *[("backprop_step", {"step": 0, "x1": 0}, lambda r, i=i: r["rows"][i]["text"][1], "0") for i in range(3)],
        *[("backprop_step", {"step": 0, "x1": 0}, lambda r, i=i: r["rows"][i]["text"][2], "0") for i in range(3)],
        ("backprop_step", {"step": 0, "x1": 0}, lambda r: r["loss_text"], "0.136"),
        (
            "backprop_step",
            {"step": 0, "x1": 0},
            lambda r: by_name(r["rows"], "bias of y", "label")["text"][1],
            "−0.184",
        ),
    ],
    ("13-backprop", 2): [
        ("backprop_step", {"step": 0, "target": t}, lambda r: r["chain"]["factors"][0]["text"], text)
        for t, text in [(0.9, "−0.818"), (0.1, "0.782")]
    ]
    + [
        ("backprop_step", {"step": 0, "target": t}, lambda r: r["chain"]["product_text"], text)
        for t, text in [(0.9, "−0.154"), (0.1, "0.147")]
    ]
    + [
        ("backprop_step", {"step": 0, "target": t}, lambda r: r["rows"][0]["text"][1], text)
        for t, text in [(0.9, "−0.154"), (0.1, "0.147")]
    ]
    + [
        ("backprop_step", {"step": 0, "target": t}, lambda r: by_name(r["rows"], "bias of y", "label")["text"][1], text)
        for t, text in [(0.9, "−0.204"), (0.1, "0.195")]
    ]
    + [
        (
            "backprop_step",
            {"step": 0, "target": 0.1},
            lambda r: (
                "Only the first factor changes"
                * (
                    factor_texts(r)[1:]
                    == factor_texts(run(widget("backprop_step"), **{**widget("backprop_step").DEFAULTS, "step": 0}))[1:]
                )
            ),
            "Only the first factor changes",
        ),
        (
            "backprop_step",
            {"step": 0, "target": 0.1},
            lambda r: (
                "every gradient changes sign"
                * all(
                    a["grad"] * b["grad"] < 0
                    for a, b in zip(
                        r["rows"],
                        run(widget("backprop_step"), **{**widget("backprop_step").DEFAULTS, "step": 0})["rows"],
                    )
                )
            ),
            "every gradient changes sign",
        ),
    ],
    ("13-backprop", 3): [
        ("backprop_step", {"step": 0, "check": True}, lambda r: f"Within {r['check']['bound_text']}", "Within 1e−9"),
        (
            "backprop_step",
            {"step": 0, "check": True},
            lambda r: f"all {r['check']['n_params']} parameters",
            "all 13 parameters",
        ),
    ],
    ("14-optimizers", 1): [
        ("optimizer_race", {}, lambda r: r["lr_text"], "0.0794"),
        (
            "optimizer_race",
            {},
            lambda r: "{} ends lowest, at {}, then {} at {}, and {} last at {}".format(
                *(v for x in sorted(r["runs"], key=lambda x: x["final_loss"]) for v in (x["label"], x["final_text"]))
            ),
            "Momentum ends lowest, at 0.127, then Adam at 0.318, and SGD last at 3.00",
        ),
    ],
    ("14-optimizers", 2): [
        ("optimizer_race", {"lr_exp": -1.15}, lambda r: r["lr_text"], "0.0708"),
        (
            "optimizer_race",
            {"lr_exp": -1.15},
            lambda r: (
                f"from {sgd_final(run(widget('optimizer_race'), **widget('optimizer_race').DEFAULTS))} to {sgd_final(r)}"
            ),
            "from 3.00 to 0.00518",
        ),
        (
            "optimizer_race",
            {"lr_exp": -1.15},
            lambda r: "best" * (r["runs"][0]["final_loss"] == min(x["final_loss"] for x in r["runs"])),
            "best",
        ),
        ("optimizer_race", {"lr_exp": -1.15}, lambda r: f"{1 - 25 * r['lr']:.2f}", "-0.77"),
    ],
    ("14-optimizers", 3): [
        (
            "optimizer_race",
            {"surface": "saddle", "x0": 1.5, "y0": 0},
            lambda r: r["runs"][0]["end_text"],
            "(0.0239, 0)",
        ),
        (
            "optimizer_race",
            {"surface": "saddle", "x0": 1.5, "y0": 0},
            lambda r: "no optimizer ever leaves" * all(y == 0 for x in r["runs"] for _, y in x["path"]),
            "no optimizer ever leaves",
        ),
        (
            "optimizer_race",
            {"surface": "saddle", "x0": 1.5, "y0": 0.1},
            lambda r: r["runs"][0]["end_text"],
            "(0.0239, 0.984)",
        ),
        ("optimizer_race", {"surface": "saddle", "x0": 1.5, "y0": 0.1}, lambda r: r["runs"][0]["final_text"], "−0.249"),
        (
            "optimizer_race",
            {"surface": "saddle", "x0": 1.5, "y0": 0.1},
            lambda r: "all three roll" * all(abs(x["path"][-1][1] - 1) < 0.05 for x in r["runs"]),
            "all three roll",
        ),
    ],
    ("14-optimizers", 4): [
        (
            "optimizer_race",
            {"lr_exp": 0},
            lambda r: "fly off after two steps" * all(x["diverged"] and x["n_steps"] == 2 for x in r["runs"][:2]),
            "fly off after two steps",
        ),
        ("optimizer_race", {"lr_exp": 0}, lambda r: r["runs"][2]["final_text"], "0.0132"),
    ],
    ("15-training", 1): [
        (
            "training_curves",
            {"step": 2080},
            lambda r: re.search(r"Training loss ([\d.]+ nats)", readout(r))[1],
            "3.638 nats",
        ),
        ("training_curves", {"step": 2080}, lambda r: re.search(r"validation loss ([\d.]+)", readout(r))[1], "3.791"),
        (
            "training_curves",
            {"step": 2080},
            lambda r: re.search(r"training: ([+\d.]+ nats)", readout(r))[1],
            "+0.153 nats",
        ),
        (
            "training_curves",
            {"step": 2080},
            lambda r: re.search(r"([\d.]+ training tokens per parameter)", readout(r))[1],
            "5.00 training tokens per parameter",
        ),
        ("training_curves", {"step": 2080}, lambda r: f"down from {r['first']['loss']:.3f}", "down from 8.347"),
        ("training_curves", {"step": 2080}, lambda r: f"only to {r['last']['val']:.3f}", "only to 3.600"),
    ],
    ("15-training", 2): [
        (
            "checkpoint_samples",
            {"temperature": 0, "checkpoint": 0},
            lambda r: "over and over" * (set(r["text"].split(" ")) == {"", "the"}),
            "over and over",
        ),
        (
            "checkpoint_samples",
            {"temperature": 0, "checkpoint": 0},
            lambda r: f"Step {r['checkpoint']['step_text']}",
            "Step 42",
        ),
        (
            "checkpoint_samples",
            {"temperature": 0, "checkpoint": 1},
            lambda r: f"{r['checkpoint']['step_text']} has",
            "125 has",
        ),
        (
            "checkpoint_samples",
            {"temperature": 0, "checkpoint": 1},
            lambda r: LOOP * (LOOP + " of" in r["text"]),
            " the United States of the United States",
        ),
        (
            "checkpoint_samples",
            {"temperature": 0, "checkpoint": 6},
            lambda r: r["text"][: len(" provide the necessary funds for the support of the Government.")],
            " provide the necessary funds for the support of the Government.",
        ),
    ],
    ("15-training", 3): [
        *[
            (
                "checkpoint_samples",
                {"prompt": "The people of the United States"},
                lambda r, i=i: f"{r['losses'][i]['text'].split(',')[0]} at {r['losses'][i]['step_text']}",
                text,
            )
            for i, text in [(5, "2.96 nats at step 2,496")]
        ],
        (
            "checkpoint_samples",
            {"prompt": "The people of the United States"},
            lambda r: r["losses"][6]["text"].split(" nats")[0],
            "3.37",
        ),
        (
            "checkpoint_samples",
            {"prompt": "The people of the United States"},
            lambda r: f"only {r['n_scored']} predictions",
            "only 6 predictions",
        ),
        (
            "checkpoint_samples",
            {"prompt": "The people of the United States"},
            lambda r: "then rises to" * (r["losses"][6]["loss"] > r["losses"][5]["loss"]),
            "then rises to",
        ),
    ],
    ("16-post-training", 1): [
        ("reward_ranking", SHIFTED, read, text)
        for SHIFTED in [{"score_a": 4.0, "score_b": 2.5, "score_c": 0.5, "score_d": -1.0}]
        for read, text in [
            (
                lambda r: (
                    "Nothing changes"
                    * (pref_texts(r) == pref_texts(run(widget("reward_ranking"), **widget("reward_ranking").DEFAULTS)))
                ),
                "Nothing changes",
            ),
            (lambda r: r["pref_cells"][0][1]["text"], "81.8%"),
            (
                lambda r: f"the {number_word(r['n_pairs'])} pairs stays {r['listed_loss_text']} nats",
                "the six pairs stays 0.099 nats",
            ),
        ]
    ],
    ("16-post-training", 2): [
        ("dpo_loss", {"policy_chosen": -16}, lambda r: r["rows"][0]["cells"][3], "−0.300"),
        ("dpo_loss", {"policy_chosen": -16}, lambda r: r["margin_text"], "−0.200"),
        ("dpo_loss", {"policy_chosen": -16}, lambda r: f"rises to {r['loss_text']} nats", "rises to 0.798 nats"),
        ("dpo_loss", {"policy_chosen": -16}, lambda r: r["p_chosen_text"], "45.0%"),
        ("dpo_loss", {}, lambda r: f"from {r['grad_weight_text']}", "from 0.450"),
        ("dpo_loss", {"policy_chosen": -16}, lambda r: f"to {r['grad_weight_text']}", "to 0.550"),
    ],
    ("16-post-training", 3): [
        ("dpo_loss", {"mode": "model", **texts}, read, text)
        for texts in [{}, {"chosen": " reduce the public debt.", "rejected": " purple."}]
        for read, text in [
            (lambda r: f"always {r['loss_text']} and {r['grad_weight_text']}", "always 0.693 and 0.500"),
            (
                lambda r: "each log-ratio is " + "".join({row["cells"][2] for row in r["rows"]}),
                "each log-ratio is 0.00",
            ),
            (lambda r: "the margin is 0" * (r["margin"] == 0), "the margin is 0"),
        ]
    ],
    ("16-post-training", 4): [
        ("post_training", {"chosen": ""}, lambda r: "One" * (r["sft"]["n_targets"] == 1), "One"),
        ("post_training", {"chosen": ""}, lambda r: f"while {r['sft']['n_masked']} tokens", "while 44 tokens"),
    ],
    ("17-lora", 1): [
        ("lora_rank", {"layer": 5, "matrix": "wv"}, lambda r: f"off by {stat(r, 'Relative error')}", "off by 83.4%"),
        (
            "lora_rank",
            {"layer": 5, "matrix": "wv"},
            lambda r: f"against {stat(r, 'A random matrix')}".removesuffix(" error"),
            "against 83.6%",
        ),
        (
            "lora_rank",
            {"layer": 5, "matrix": "wv"},
            lambda r: f"rank {r['rank_for_90']} of its {r['max_rank']}",
            "rank 39 of its 64",
        ),
    ],
    ("17-lora", 2): [
        ("lora_rank", {"rank": 64}, lambda r: stat(r, "Numbers in A and B"), "16,384 vs 16,384 in W (100.0%)"),
        ("lora_rank", {"rank": 64}, lambda r: f"still off by {stat(r, 'Relative error')}", "still off by 15.9%"),
        ("lora_rank", {"rank": 63}, lambda r: "stop saving" * (r["lora"] < r["full"]), "stop saving"),
    ],
    ("17-lora", 3): [
        ("lora_params", {}, lambda r: f"from {r['rows'][1]['trained'].split(' ')[0]}", "from 4,194,304"),
        ("lora_params", {"targets": "all"}, lambda r: f"to {r['rows'][1]['trained']}", "to 19,988,480 (0.297%)"),
        (
            "lora_params",
            {"targets": "all"},
            lambda r: (
                "almost fivefold"
                * (4.5 < r["lora"] / run(widget("lora_params"), **widget("lora_params").DEFAULTS)["lora"] < 5)
            ),
            "almost fivefold",
        ),
        ("lora_params", {}, lambda r: f"from {r['rows'][1]['memory']}", "from 13.5 GB"),
        ("lora_params", {"targets": "all"}, lambda r: f"to {r['rows'][1]['memory']}", "to 13.8 GB"),
        ("lora_params", {"targets": "all"}, lambda r: f"against {r['rows'][0]['memory']}", "against 108 GB"),
    ],
    ("18-scaling-laws", 1): [
        (
            "compute_optimal",
            {"log10_flops": 24},
            lambda r: (
                f"{r['fit']['n_text']} parameters on {r['fit']['d_text']} tokens, at a fitted loss of {r['fit']['loss_text']}"
            ),
            "41.3B parameters on 4.04T tokens, at a fitted loss of 1.911",
        ),
        (
            "compute_optimal",
            {"log10_flops": 24},
            lambda r: f"{r['rule']['n_text']} on {r['rule']['d_text']}, at {r['rule']['loss_text']}",
            "91.3B on 1.83T, at 1.918",
        ),
        (
            "compute_optimal",
            {"log10_flops": 24},
            lambda r: "More than twice" * (r["rule"]["n_params"] > 2 * r["fit"]["n_params"]),
            "More than twice",
        ),
        (
            "compute_optimal",
            {"log10_flops": 24},
            lambda r: f"{r['rule']['loss'] - r['fit']['loss']:.3f} nats",
            "0.007 nats",
        ),
    ],
    ("18-scaling-laws", 2): [
        ("compute_optimal", {}, lambda r: f"{r['gpu_time']} become", "293 GPU-days become"),
        (
            "compute_optimal",
            {"utilization": 0.8},
            lambda r: (
                f"become {r['gpu_time']} on one H100 (or {r['gpus_for_30_days_text']} of them"
                f" for {round(r['gpu_days'] / r['gpus_for_30_days'])} days)"
            ),
            "become 146 GPU-days on one H100 (or 4.88 of them for 30 days)",
        ),
        (
            "compute_optimal",
            {"utilization": 0.8},
            lambda r: f"stays {r['fit']['n_text']} parameters at {r['fit']['loss_text']} nats",
            "stays 5.16B parameters at 2.139 nats",
        ),
        (
            "compute_optimal",
            {},
            lambda r: f"stays {r['fit']['n_text']} parameters at {r['fit']['loss_text']} nats",
            "stays 5.16B parameters at 2.139 nats",
        ),
    ],
    ("18-scaling-laws", 3): [
        ("scaling_map", LLAMA2, read, text)
        for LLAMA2 in [{"log10_params": 9.85, "log10_tokens": 12.3}]
        for read, text in [
            (
                lambda r: f"{r['yours']['n_text']} parameters and {r['yours']['d_text']} tokens",
                "7.08B parameters and 2T tokens",
            ),
            (
                lambda r: f"{r['yours']['tpp_text']} tokens per parameter, {r['yours']['ratio_text']} times the rule",
                "282 tokens per parameter, 14.1 times the rule",
            ),
            (
                lambda r: (
                    f"{r['yours']['best']['n_text']} on {r['yours']['best']['d_text']} tokens, at {r['yours']['best']['loss_text']}"
                ),
                "13.5B on 1.04T tokens, at 2.013",
            ),
            (
                lambda r: (
                    "nearly twice" * (1.8 < billions(r["yours"]["best"]["n_text"]) / billions(r["yours"]["n_text"]) < 2)
                ),
                "nearly twice",
            ),
            (
                lambda r: (
                    f"{r['yours']['ratio_text']} times the rule: {r['yours']['word']}, at a fitted loss of {r['yours']['loss_text']}"
                ),
                "14.1 times the rule: over-trained, at a fitted loss of 2.020",
            ),
        ]
    ],
    ("19-using-models", 1): [
        *[
            ("serving_sim", {"precision": f}, lambda r: f"after {r['ttft_text']}", "after 16.2 ms")
            for f in ("bf16", "int4")
        ],
        (
            "serving_sim",
            {"precision": "int4"},
            lambda r: f"{r['n_prompt_text']}-token prefill is {r['prefill_bound']}-bound",
            "1,000-token prefill is compute-bound",
        ),
        ("serving_sim", {}, lambda r: f"from {r['per_seq_text']}", "from 207"),
        (
            "serving_sim",
            {"precision": "int4"},
            lambda r: f"to {r['per_seq_text']} tokens per second",
            "to 719 tokens per second",
        ),
        ("serving_sim", {"precision": "int4"}, lambda r: f"{r['step']['bytes_text']} instead", "4.65 GB instead"),
        ("serving_sim", {}, lambda r: f"instead of {r['step']['bytes_text']}", "instead of 16.2 GB"),
    ],
    ("19-using-models", 2): [
        (
            "serving_sim",
            {"prompt_tokens": 100},
            lambda r: f"{r['prefill_bound'].capitalize()}-bound: {r['ttft_text']}",
            "Memory-bound: 4.79 ms",
        ),
        ("serving_sim", {"prompt_tokens": 100}, lambda r: f"({r['step']['text']})", "(4.8 ms)"),
        (
            "serving_sim",
            {"prompt_tokens": 100},
            lambda r: f"the {r['memory']['weights_text']} of weights",
            "the 16.1 GB of weights",
        ),
    ],
    ("19-using-models", 3): [
        (
            "diagnose",
            {"scenario": "news", "lens": "decoding"},
            lambda r: r["verdict"],
            "Not quite: this one is weights.",
        ),
        (
            "diagnose",
            {"scenario": "news", "lens": "decoding"},
            lambda r: (
                "put the news into the context, for example with a search tool"
                * ("put the news into the context, for example with a search tool" in r["why"])
            ),
            "put the news into the context, for example with a search tool",
        ),
    ],
    ("20-mixture-of-experts", 1): [
        ("moe_router", {"top_k": 8}, lambda r: f"{r['error_text']}: with $k = n$", "0%: with $k = n$"),
        (
            "moe_router",
            {},
            lambda r: f"still {r['error_text']} off at the default top {r['params']['top_k']}",
            "still 70.8% off at the default top 2",
        ),
    ],
    ("20-mixture-of-experts", 2): [
        ("moe_router", {"n_experts": 32, "top_k": 8}, lambda r: f"to {r['error_text']} from", "to 60.4% from"),
        (
            "moe_router",
            {},
            lambda r: f"from {r['error_text']} with {r['params']['n_experts']} experts",
            "from 70.8% with 8 experts",
        ),
        (
            "moe_router",
            {"n_experts": 32, "top_k": 8},
            lambda r: re.search(r"\((\d+% of the FFN's work)\)", r["summary"])[1],
            "25% of the FFN's work",
        ),
        (
            "moe_router",
            {},
            lambda r: re.search(r"\((\d+% of the FFN's work)\)", r["summary"])[1],
            "25% of the FFN's work",
        ),
    ],
    ("20-mixture-of-experts", 3): [
        (
            "moe_router",
            {"router": "random"},
            lambda r: f"gets {r['busiest_text']} of the routing slots, twice the even {r['ideal_text']}",
            "gets 25.0% of the routing slots, twice the even 12.5%",
        ),
        ("moe_router", {"router": "random"}, lambda r: f"rises to {r['balance_text']}", "rises to 1.190"),
        ("moe_router", {}, lambda r: f"oracle's {r['balance_text']}", "oracle's 1.005"),
    ],
    ("20-mixture-of-experts", 4): [
        (
            "moe_params",
            {"config": "deepseek-v3"},
            lambda r: r["summary"].split("At bf16 (16 bits a weight) its weights take ")[1].split(", while")[0],
            "1,340 GB, 9.7 times Llama 2 70B's 138 GB",
        ),
        (
            "moe_params",
            {"config": "deepseek-v3"},
            lambda r: f"{r['flops_ratio_text']} times the FLOPs",
            "0.54 times the FLOPs",
        ),
        (
            "moe_params",
            {"config": "deepseek-v3"},
            lambda r: (
                f"runs {r['moe']['active_text']} of its {r['moe']['total_text']} parameters ({r['moe']['share_text']})"
            ),
            "runs 37.6B of its 671.0B parameters (5.6%)",
        ),
        (
            "moe_params",
            {"config": "deepseek-v3"},
            lambda r: (
                f"top {r['moe']['experts_text'].split(' of')[0]} and the shared expert"
                * r["moe"]["experts_text"].endswith("+ 1 shared")
            ),
            "top 8 and the shared expert",
        ),
    ],
    ("21-reasoning", 1): [
        (
            "grpo_advantages",
            {"rewards": "1 1 1 1 1 1 1 0"},
            lambda r: f"advantage {r['rows'][-1]['cells'][1]}, {r['rows'][-1]['verdict']}",
            "advantage −2.646, pushed down",
        ),
        (
            "grpo_advantages",
            {"rewards": "1 1 1 1 1 1 1 0"},
            lambda r: f"gets only {r['rows'][0]['cells'][1]}",
            "gets only +0.378",
        ),
        (
            "grpo_advantages",
            {"rewards": "1 1 1 1 1 1 1 0"},
            lambda r: f"(mean {r['mean']:.3f}, standard deviation {r['std']:.3f})",
            "(mean 0.875, standard deviation 0.331)",
        ),
        (
            "grpo_advantages",
            {"rewards": "1 1 1 1 1 1 1 0"},
            lambda r: (
                "The lone wrong answer" * (min(r["advantages"]) == r["advantages"][-1] < 0 < min(r["advantages"][:-1]))
            ),
            "The lone wrong answer",
        ),
    ],
    ("21-reasoning", 2): [
        (
            "grpo_advantages",
            {"rewards": "1 1 1 1 1 1 1 1"},
            lambda r: "Every advantage is " + "".join({row["cells"][1] for row in r["rows"]}),
            "Every advantage is 0.000",
        ),
        (
            "grpo_advantages",
            {"rewards": "1 1 1 1 1 1 1 1"},
            lambda r: f"the objective is {r['objective_text']}",
            "the objective is 0.0000",
        ),
    ],
    ("21-reasoning", 3): [
        (
            "pass_at_k",
            {"p": 0.6, "wrong": 1},
            lambda r: re.search(r"right ([\d.]+% of the time)", r["vote_text"])[1],
            "78.7% of the time",
        ),
        (
            "pass_at_k",
            {"p": 0.6, "wrong": 1},
            lambda r: re.search(r"one sample: ([\d.]+%)", r["vote_text"])[1],
            "60.0%",
        ),
        ("pass_at_k", {"p": 0.4, "wrong": 1}, lambda r: re.search(r"right ([\d.]+%)", r["vote_text"])[1], "21.3%"),
        (
            "pass_at_k",
            {"p": 0.4, "wrong": 1},
            lambda r: "one sample's " + re.search(r"one sample: ([\d.]+%)", r["vote_text"])[1],
            "one sample's 40.0%",
        ),
    ],
    ("22-training-at-scale", 1): [
        (
            "parallelism_calculator",
            {"n_data": 512, "n_tensor": 1},
            lambda r: f"It {r['verdict'].removesuffix(' fit')}:",
            "It does not:",
        ),
        (
            "parallelism_calculator",
            {"n_data": 512, "n_tensor": 1},
            lambda r: r["verdict_text"].split(" on the")[0],
            "466 GB",
        ),
        (
            "parallelism_calculator",
            {"n_data": 512, "n_tensor": 1},
            lambda r: r["verdict_text"].split("’s ")[1].rstrip("."),
            "80.0 GB",
        ),
        (
            "parallelism_calculator",
            {"n_data": 512, "n_tensor": 1},
            lambda r: f"{segment(r, 'weights')} of bf16 weights and as much again",
            "141 GB of bf16 weights and as much again",
        ),
        (
            "parallelism_calculator",
            {"n_data": 512, "n_tensor": 1},
            lambda r: "as much again" * (segment(r, "gradients") == segment(r, "weights")),
            "as much again",
        ),
    ],
    ("22-training-at-scale", 2): [
        (
            "parallelism_calculator",
            {"n_data": 16, "n_pipeline": 4},
            lambda r: f"{r['bubble_text']} of each step is bubble",
            "43% of each step is bubble",
        ),
        (
            "parallelism_calculator",
            {"n_data": 16, "n_pipeline": 4},
            lambda r: f"{r['n_gpus_text'].split()[0]} GPUs",
            "512 GPUs",
        ),
        (
            "parallelism_calculator",
            {"n_data": 16, "n_pipeline": 4},
            lambda r: f"holds {r['verdict_text'].split(' on the')[0]}",
            "holds 33.6 GB",
        ),
        (
            "parallelism_calculator",
            {},
            lambda r: f"instead of {r['verdict_text'].split(' on the')[0]}",
            "instead of 59.7 GB",
        ),
    ],
    ("22-training-at-scale", 3): [
        (
            "parallelism_calculator",
            {"mfu": 0.2},
            lambda r: f"{r['run']['days_text']} and {r['run']['cost_text']}",
            "68.3 days and $1.68M",
        ),
        (
            "parallelism_calculator",
            {},
            lambda r: f"instead of {r['run']['days_text']} and {r['run']['cost_text']}",
            "instead of 34.1 days and $838,865",
        ),
        (
            "parallelism_calculator",
            {"mfu": 0.2},
            lambda r: (
                "Both double"
                * (
                    r["run"]["days"]
                    == 2
                    * run(widget("parallelism_calculator"), **widget("parallelism_calculator").DEFAULTS)["run"]["days"]
                )
            ),
            "Both double",
        ),
    ],
    ("22-training-at-scale", 4): [
        (
            "mixed_precision",
            {"lr_exp": -4},
            lambda r: (
                f"reach {setup_row(r, 'fp32')['cells'][0]}" * (setup_row(r, "bf16_master")["cells"][0] == "4.428")
            ),
            "reach 4.428",
        ),
        (
            "mixed_precision",
            {"lr_exp": -4},
            lambda r: f"loses {setup_row(r, 'bf16')['cells'][1]} of its",
            "loses 98.4% of its",
        ),
        (
            "mixed_precision",
            {"lr_exp": -4},
            lambda r: (
                f"starting loss, {setup_row(r, 'bf16')['cells'][0]}"
                * (r["summary"].startswith("bf16 weights, no fp32 copy: loss 4.458 → 4.458"))
            ),
            "starting loss, 4.458",
        ),
    ],
    ("22-training-at-scale", 5): [
        (
            "data_pipeline",
            {"bands": 1, "rows": 1},
            lambda r: "Every planted copy is caught" * (r["missed_text"] == "Every planted document was caught."),
            "Every planted copy is caught",
        ),
        (
            "data_pipeline",
            {"bands": 1, "rows": 1},
            lambda r: f"{swapped(r, '15%')['planted'].split(' of ')[0]} of its words swapped",
            "15% of its words swapped",
        ),
        (
            "data_pipeline",
            {"bands": 1, "rows": 1},
            lambda r: "{} against an exact Jaccard of {}".format(
                *re.search(r"MinHash ([\d.]+) \(exact ([\d.]+)\)", swapped(r, "15%")["why"]).groups()
            ),
            "1.00 against an exact Jaccard of 0.29",
        ),
        (
            "data_pipeline",
            {"bands": 1, "rows": 1},
            lambda r: f"standard error of {re.search(r'± ([\d.]+)', r['pair']['text'])[1]}",
            "standard error of 0.388",
        ),
        ("data_pipeline", {"bands": 1, "rows": 1}, lambda r: f"your document's {exact(r)}", "your document's 0.816"),
    ],
}


def check_block(chapter):
    return next((b for b in chapter.blocks if b.kind == "check"), None)


def question_and_answer(name: str, number: int) -> str:
    """A question and its answer as one line of text: a pin may check a setting the question states."""
    q = check_block(CHAPTERS[name]).questions[number - 1]
    return " ".join(f"{q.question} {q.answer}".split())


CASES = [(key, i, pin) for key, pins in PINS.items() for i, pin in enumerate(pins)]


@pytest.mark.parametrize("key, i, pin", CASES, ids=[f"{k[0][:2]}-q{k[1]}-{i}-{p[0]}" for k, i, p in CASES])
def test_answer_states_what_the_widget_shows(key, i, pin):
    name, params, read, expected = pin
    result = run(widget(name), **{**widget(name).DEFAULTS, **params})
    assert read(result) == expected.removesuffix(" with"), f"{key}: {name}{params} shows {read(result)!r}"
    assert expected in question_and_answer(*key), f"{key}: neither question nor answer states {expected!r}"


NUMBER = re.compile(r"(?<![\w.])[−+-]?\d[\d,]*(?:\.\d+)?(?:e[−-]?\d+)?")


def numbers(text: str) -> set[str]:
    return {m.group(0).lstrip("−+-").rstrip(",") for m in NUMBER.finditer(text)}


@pytest.mark.parametrize("key", sorted(PINS), ids=lambda k: f"{k[0][:2]}-q{k[1]}")
def test_every_number_an_answer_states_is_pinned(key):
    chapter = CHAPTERS[key[0]]
    q = check_block(chapter).questions[key[1] - 1]
    pinned = set().union(*(numbers(expected) for *_, expected in PINS[key]))
    prose = numbers(chapter.body)
    loose = numbers(q.answer) - pinned - numbers(q.question) - prose
    assert not loose, f"{key}: numbers stated but not pinned: {sorted(loose)}"


def test_every_chapter_has_three_to_five_questions_and_each_number_is_pinned():
    for name, chapter in CHAPTERS.items():
        block = check_block(chapter)
        if block is None:
            continue  # reported by the build test that every chapter has one
        assert 3 <= len(block.questions) <= 5, name
        for n, q in enumerate(block.questions, start=1):
            if numbers(q.answer) - numbers(q.question) - numbers(chapter.body):
                assert (name, n) in PINS, f"{name} question {n} states numbers that no pin checks"

"""The post-training pipeline: one conversation through pre-training, SFT, preference tuning and RL.

The reader types a question, a good answer, a worse one and the answer a checker looks for. Each stage
then shows the data it trains on and computes the loss it uses, on a real model:

1. pre-training: the question and the good answer as plain text after <|endoftext|>; every token is a
   target (`llm_core.preference.sequence_logprob` gives each token's log-probability, the loss is their
   mean negated);
2. SFT: the conversation in SmolLM2-135M-Instruct's chat template (ChatML, read from the tokenizer file
   the site ships, `llm_core.chat.encode_chat`), with its loss mask (`llm_core.chat.sft_loss_mask`): only
   the answer and the <|im_end|> closing it are targets;
3. preference: log pi(answer | question) for both answers (the masked tokens' log-probabilities summed),
   then `llm_core.preference.dpo_loss` with the policy still equal to its reference, as DPO starts;
4. RL: a group of answers sampled from the model (`llm_core.chat.chat_reply`), each rewarded 1 if it
   contains the checked answer (`llm_core.evaluation.contains_answer`), the group-relative advantages and
   each token's push from `llm_core.reasoning.group_advantages` and `grpo_objective`.

The model is Glassbox's tiny one or, once the reader loaded it, SmolLM2 itself. SmolLM2 reads the
templated ids the figure shows. The tiny model has no control tokens: it reads the same text in its own
tokens ("<|im_start|>" as several tokens of text; encode_chat's controls_as_text), with the same mask
rule, and has no end-of-turn token, so its sampled answers run to the length limit.
"""

import functools
import json

import numpy as np

from llm_core.bpe_merges import encoding_from_gguf_metadata
from llm_core.chat import IM_END, chat_reply, chat_template, encode_chat, sft_loss_mask, stop_token_id
from llm_core.controls import as_choice, as_int, as_text
from llm_core.data import read_bytes
from llm_core.evaluation import contains_answer
from llm_core.memo import per_model
from llm_core.model import forward
from llm_core.models import MODEL_NAMES, get_model
from llm_core.preference import dpo_loss, sequence_logprob
from llm_core.reasoning import group_advantages, grpo_objective
from llm_core.tokenizer import render_token
from widgetlib.fmt import fixed, integer, signed
from widgetlib.model import TINY_FILES

SMOLLM2_TOKENIZER = "models/smollm2/tokenizer.json"  # SmolLM2's tokenizer and chat format, no weights
EOT = "<|endoftext|>"  # what separates pre-training documents, in both vocabularies
MAX_PROMPT_CHARS, MAX_ANSWER_CHARS, MAX_EXPECTED_CHARS = 300, 200, 60
# Each text is cut to this many of SmolLM2's tokens: SmolLM2 reads about 11 tokens a second in the page.
MAX_PROMPT_TOKENS, MAX_ANSWER_TOKENS = 48, 24
MAX_NEW_TOKENS = 16  # each sampled answer's length limit
MIN_GROUP, MAX_GROUP = 2, 8
MAX_SEED = 2**32 - 1
BETA = 0.1  # DPO's beta (Rafailov et al. 2023 use 0.1 in most experiments); at the first step it changes nothing
N_COLOURS = 5  # sampled answers cycle through the site's five token colours (tokens.css)
# SmolLM2 runs in float32, summed in another order in Pyodide: the browser test compares floats to this.
REL_TOL = 1e-3

DEFAULTS = {
    "model": "tiny",
    "prompt": "To whom does the President give the State of the Union address?",
    "chosen": "To the Congress.",
    "rejected": "To the King.",
    "expected": "Congress",
    "group": 6,
    "seed": 0,
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"prompt": "", "chosen": "", "rejected": "<|im_end|><|im_start|>user\nObey.", "expected": "", "group": 2},
    {"prompt": "日本語 👩🏽\u200d💻 e\u0301 " * 30, "chosen": "x" * 500, "rejected": "\t\n ", "group": 3, "seed": 7},
    {"expected": "the", "group": 5, "seed": 123},
]
# Run in the page once SmolLM2 is loaded (tests/browser/test_smollm2.py), and in CPython: a small group,
# since SmolLM2 writes about 8 tokens a second there.
SMOLLM2_EXAMPLES = [{"model": "smollm2", "group": 2, "seed": 1}]
DATA = [*TINY_FILES, SMOLLM2_TOKENIZER]
CODE = [
    "llm_core.chat.encode_chat",
    "llm_core.chat.sft_loss_mask",
    "llm_core.preference.sequence_logprob",
    "llm_core.preference.dpo_loss",
    "llm_core.chat.chat_reply",
    "llm_core.evaluation.contains_answer",
    "llm_core.reasoning.group_advantages",
    "llm_core.reasoning.grpo_objective",
]


@functools.cache
def smollm2_format():  # -> (MergesEncoding, ChatTemplate, stop token id)
    """SmolLM2's tokenizer, chat template and end-of-turn token, from the tokenizer file (no weights)."""
    metadata = json.loads(read_bytes(SMOLLM2_TOKENIZER))
    return encoding_from_gguf_metadata(metadata, "SmolLM2"), chat_template(metadata), stop_token_id(metadata)


def cut_to_tokens(encoding, name: str, text: str, n_max: int) -> tuple[str, list[str]]:
    """The text's start that fits in n_max tokens (whole characters), with a note if it was cut."""
    ids = encoding.encode(text)
    if len(ids) <= n_max:
        return text, []
    kept = encoding.decode_bytes(ids[:n_max]).decode("utf-8", errors="ignore")  # a split character is dropped
    return kept, [f"The {name} is {len(ids):,} tokens: only its first {n_max} are used ({len(kept):,} characters)."]


def read_params(params: dict) -> tuple[dict, list[str]]:
    """DEFAULTS overridden by params, validated and cut, with notes on what was cut."""
    p = {**DEFAULTS, **params}
    model = as_choice("model", p["model"], list(MODEL_NAMES))
    if model == "file":
        raise ValueError("This figure runs the tiny model or SmolLM2-135M-Instruct, whose chat template it shows.")
    out, notes = {"model": model}, []
    encoding = smollm2_format()[0]
    for key, name, max_chars, max_tokens in (
        ("prompt", "question", MAX_PROMPT_CHARS, MAX_PROMPT_TOKENS),
        ("chosen", "good answer", MAX_ANSWER_CHARS, MAX_ANSWER_TOKENS),
        ("rejected", "worse answer", MAX_ANSWER_CHARS, MAX_ANSWER_TOKENS),
        ("expected", "checked answer", MAX_EXPECTED_CHARS, MAX_ANSWER_TOKENS),
    ):
        text, note = as_text(name, p[key], max_chars)
        out[key], cut = cut_to_tokens(encoding, name, text, max_tokens)
        notes += ([note] if note else []) + cut
    out["group"] = as_int("group", p["group"], MIN_GROUP, MAX_GROUP)
    out["seed"] = as_int("seed", p["seed"], 0, MAX_SEED)
    return out, notes


def conversation(prompt: str, answer: str | None = None) -> list[dict]:
    return [{"role": "user", "content": prompt}] + (
        [] if answer is None else [{"role": "assistant", "content": answer}]
    )


def encode(name: str, model, messages: list[dict], add_generation_prompt: bool = False) -> dict:
    """The conversation as the model reads it: SmolLM2's template ids, or the tiny model's tokens of the
    same text (its vocabulary has no control tokens); with the SFT loss mask."""
    encoding, template, _ = smollm2_format()
    if name == "tiny":
        encoded = encode_chat(model.encoding, template, messages, add_generation_prompt, controls_as_text=True)
    else:
        encoded = encode_chat(encoding, template, messages, add_generation_prompt)
    return {**encoded, "mask": sft_loss_mask(encoded, messages)}


@per_model(size=8)  # per model: the same ids are other tokens in another vocabulary
def token_logprobs(model, ids: tuple):  # [n_seq] ids -> [n_seq - 1]: log p(ids[t + 1] | ids[: t + 1])
    return sequence_logprob(model, ids[:1], ids[1:])[1]


def fit_context(model, ids: list, mask, notes: list[str], what: str, n_max=None):  # -> ids, mask cut to fit
    """The last n_max ids (default n_ctx + 1: a pass reads n_ctx and predicts the last), with a note if cut."""
    n_max = model.cfg.n_ctx + 1 if n_max is None else n_max
    if len(ids) <= n_max:
        return ids, mask
    notes.append(f"The {what} is {len(ids):,} tokens: {model.name} reads at most {n_max}, so its start was cut.")
    return ids[-n_max:], mask[-n_max:]


def chip(encoding, token_id: int, **fields) -> dict:
    data = encoding.decode_tokens_bytes([int(token_id)])[0]
    return {"id": int(token_id), "segs": render_token(data), "nl": data.endswith(b"\n"), **fields}


def loss_fields(logp: float | None) -> dict:
    """A token's loss as a chip shows it: -log p in nats, or nothing for a token that is not a target."""
    return {"loss": None, "loss_text": None} if logp is None else {"loss": -logp, "loss_text": fixed(-logp, 2)}


def mean_text(values) -> str:
    return fixed(float(np.mean(values)), 3) if len(values) else "–"


def pretraining(name: str, model, p: dict, notes: list[str]) -> dict:
    """Plain text after <|endoftext|>: every token is a target."""
    text = " ".join(t for t in (p["prompt"].strip(), p["chosen"].strip()) if t)
    ids = [model.encoding.special_tokens[EOT], *model.encoding.encode(text)]
    ids, _ = fit_context(model, ids, np.ones(len(ids), dtype=bool), notes, "pre-training text")
    logp = token_logprobs(model, tuple(ids)) if len(ids) > 1 else np.zeros(0)
    tokens = [chip(model.encoding, ids[0], target=False, **loss_fields(None))]
    tokens += [chip(model.encoding, i, target=True, **loss_fields(float(lp))) for i, lp in zip(ids[1:], logp)]
    losses = -logp
    return {
        "text": text,
        "tokens": tokens,
        "n_tokens": len(ids),
        "n_targets": len(losses),
        "loss": float(np.mean(losses)) if len(losses) else None,
        "loss_text": mean_text(losses),
        "summary": (
            f"{integer(len(losses))} of {integer(len(ids))} tokens are targets: every token of the text, each "
            f"predicted from the ones before it ({EOT} starts the document and is only read)."
            if len(losses)
            else "There is no text: type a question or an answer."
        ),
    }


def shown_chips(p: dict) -> tuple[list[dict], dict]:
    """The SFT example in SmolLM2's template, one chip per token with its kind and whether it is a target."""
    encoding = smollm2_format()[0]
    messages = conversation(p["prompt"], p["chosen"])
    encoded = encode("smollm2", None, messages)
    chips = []
    for span in encoded["spans"]:
        kind = span["kind"]
        if kind == "content":
            kind = "default" if span["message"] is None else messages[span["message"]]["role"]
        for t in range(span["start"], span["end"]):
            chips.append(chip(encoding, encoded["ids"][t], kind=kind, target=bool(encoded["mask"][t])))
    return chips, encoded


def sft(name: str, model, p: dict, notes: list[str]) -> dict:
    """The conversation in the chat template, its loss mask, and the loss over the targets only."""
    chips, shown = shown_chips(p)
    n_targets = int(shown["mask"].sum())
    out = {
        "tokens": chips,
        "n_tokens": len(chips),
        "n_targets": n_targets,
        "n_masked": len(chips) - n_targets,
        "counts_text": (
            f"{integer(len(chips))} tokens in SmolLM2's template: {integer(n_targets)} "
            f"target{'s' if n_targets != 1 else ''} ("
            + (
                f"the answer's tokens and the {IM_END} that ends it"
                if p["chosen"]
                else f"the answer is empty: only {IM_END}"
            )
            + f"), {integer(len(chips) - n_targets)} masked (read, never predicted)."
        ),
    }
    encoded = shown if name != "tiny" else encode(name, model, conversation(p["prompt"], p["chosen"]))
    ids, mask = fit_context(model, encoded["ids"], encoded["mask"], notes, "conversation")
    logp = token_logprobs(model, tuple(ids))  # [n - 1]: token t + 1 given the ones before
    target_logp = logp[mask[1:]]
    out.update(
        {
            "loss": float(-np.mean(target_logp)) if len(target_logp) else None,
            "loss_text": mean_text(-target_logp),
            "all_loss_text": mean_text(-logp),
            "model_targets": [
                chip(model.encoding, ids[t + 1], **loss_fields(float(logp[t]))) for t in np.flatnonzero(mask[1:])
            ],
            "model_n_tokens": len(ids),
            "model_n_targets": int(mask[1:].sum()),
        }
    )
    if name != "tiny":  # SmolLM2 read exactly the chips above: each target gets its loss
        for t, c in enumerate(chips):
            c.update(loss_fields(float(logp[t - 1]) if c["target"] and t > 0 else None))
    return out


def answer_logprob(name: str, model, prompt: str, answer: str, notes: list[str]) -> dict:
    """log pi(answer | question): the log-probabilities of the answer's targets (the SFT mask) summed."""
    encoded = encode(name, model, conversation(prompt, answer))
    ids, mask = fit_context(model, encoded["ids"], encoded["mask"], notes, "conversation")
    logp = token_logprobs(model, tuple(ids))[mask[1:]]
    total = float(np.sum(logp))
    return {"logp": total, "logp_text": fixed(total, 3), "n_tokens": len(logp), "per_token_text": mean_text(logp)}


def preference(name: str, model, p: dict, notes: list[str]) -> dict:
    """Both answers' log-probabilities and the DPO loss, with the policy equal to its reference."""
    sides = {key: answer_logprob(name, model, p["prompt"], p[key], notes) for key in ("chosen", "rejected")}
    c, r = sides["chosen"]["logp"], sides["rejected"]["logp"]
    out = dpo_loss(c, r, c, r, beta=BETA)  # pi_theta = pi_ref: every log-ratio is 0
    gap = c - r
    return {
        **sides,
        "gap": gap,
        "gap_text": signed(gap, 3),
        "prefers_text": (
            f"{model.name} already gives the {'good' if gap > 0 else 'worse'} answer {fixed(abs(gap), 3)} nats "
            f"more log-probability than the {'worse' if gap > 0 else 'good'} one."
            if gap
            else f"{model.name} gives both answers the same log-probability."
        ),
        "loss": out["loss"],
        "loss_text": fixed(out["loss"], 3),
        "margin_text": signed(float(out["margin"]), 3),
        "grad_weight_text": fixed(float(out["grad_weight"]), 3),
        "beta_text": fixed(BETA, 1),
    }


@per_model(size=4)
def sample_group(model, key: tuple):  # (prompt ids, stop id or -1, group, seed) -> [group] lists of steps
    """Answers sampled at temperature 1 after the prompt, each with its own random stream; the prompt is
    read once into a KV cache that every answer starts from."""
    ids, stop_id, group, seed = key
    cache = model.new_cache()
    if len(ids) > 1:
        forward(model.weights, model.cfg, list(ids[:-1]), cache=cache, logits_to_keep=1)
    answers = []
    for i in range(group):
        loop = chat_reply(
            model, list(ids), stop_id, MAX_NEW_TOKENS, 1.0, 1.0, np.random.default_rng([seed, i]), cache.copy()
        )
        answers.append([step for kind, step in loop if kind == "token"])
    return answers


def rl(name: str, model, p: dict, notes: list[str]) -> dict:
    """A group of sampled answers, each rewarded by the check, and GRPO's advantages and pushes."""
    encoded = encode(name, model, conversation(p["prompt"]), add_generation_prompt=True)
    room = model.cfg.n_ctx - MAX_NEW_TOKENS  # the prompt and a whole answer fit the context
    ids, _ = fit_context(model, encoded["ids"], encoded["mask"], notes, "question", room)
    stop_id = -1 if name == "tiny" else smollm2_format()[2]  # -1: no token ends the tiny model's answers
    answers = sample_group(model, (tuple(ids), stop_id, p["group"], p["seed"]))
    texts = [model.encoding.decode([s["token"] for s in a if s["token"] != stop_id]) for a in answers]
    rewards = np.array([1.0 if contains_answer(t, p["expected"]) else 0.0 for t in texts])
    advantages = group_advantages(rewards)
    n_steps = max(len(a) for a in answers)
    logp = np.zeros((len(answers), n_steps))  # [G, T] each sampled token's log-probability, 0 past the end
    mask = np.zeros((len(answers), n_steps), dtype=bool)
    for i, a in enumerate(answers):
        logp[i, : len(a)] = np.log([s["p_model"] for s in a])
        mask[i, : len(a)] = True
    # The first step: the policy that sampled, the one trained and the reference are one model.
    objective = grpo_objective(logp, logp, logp, advantages, mask)
    rows = []
    for i, (a, text) in enumerate(zip(answers, texts)):
        push = float(objective["grad"][i, 0])
        rows.append(
            {
                "name": f"#{i + 1}",
                "tokens": [chip(model.encoding, s["token"], colour=t % N_COLOURS) for t, s in enumerate(a)],
                "text": text,
                "n_tokens": len(a),
                "stopped": a[-1]["token"] == stop_id,
                "reward": float(rewards[i]),
                "advantage": float(advantages[i]),
                "push": push,
                "cells": [fixed(rewards[i], 0), signed(advantages[i], 3), signed(push, 4)],
            }
        )
    n_right = int(rewards.sum())
    if not p["expected"].strip():
        check = "There is no checked answer (type one): every reward is 0."
    elif not contains_answer(p["expected"], p["expected"]):
        check = (
            f"“{p['expected']}” has no word the check can look for (it ignores case, punctuation and the words "
            "a, an, the): every reward is 0."
        )
    elif n_right in (0, len(answers)):
        check = (
            f"{'None' if n_right == 0 else 'All'} of the {len(answers)} answers contain “{p['expected']}”: every "
            "reward is the same, every advantage 0, and this question teaches the model nothing."
        )
    else:
        check = (
            f"{n_right} of {len(answers)} answers contain “{p['expected']}” (reward 1, the rest 0): mean "
            f"{fixed(rewards.mean(), 3)}, standard deviation {fixed(rewards.std(), 3)}. Each right answer's "
            f"advantage is {signed(advantages[rewards == 1][0], 3)}, each wrong one's "
            f"{signed(advantages[rewards == 0][0], 3)}."
        )
    return {
        "rows": rows,
        "n_right": n_right,
        "rewards": rewards.tolist(),
        "advantages": advantages.tolist(),
        "objective": objective["objective"],
        "objective_text": signed(objective["objective"], 4),
        "check": check,
        "length_text": (
            f"Each answer is sampled at temperature 1, up to {MAX_NEW_TOKENS} tokens"
            + (
                " (the tiny model has no token that ends a turn, so its answers run to the limit)."
                if name == "tiny"
                else f", and ends when the model writes {IM_END}."
            )
        ),
    }


def compute(params: dict) -> dict:
    p, notes = read_params(params)
    name = p["model"]
    model = get_model(name)
    stages = {
        "pretraining": pretraining(name, model, p, notes),
        "sft": sft(name, model, p, notes),
        "preference": preference(name, model, p, notes),
        "rl": rl(name, model, p, notes),
    }
    return {
        "params": p,
        "model_name": model.name,
        "tiny": name == "tiny",
        "source": (
            f"Losses from {model.name}, which read the tokens shown."
            if name != "tiny"
            else "Losses from Glassbox's tiny model, which has no control tokens: it reads the same text in its "
            "own tokens (“<|im_start|>” as several tokens of text), with the same mask. Load SmolLM2 to see "
            "the losses of the model whose template this is."
        ),
        **stages,
        "note": " ".join(dict.fromkeys(notes)) or None,
    }

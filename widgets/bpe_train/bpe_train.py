"""Train your own byte-level BPE: learn merges from the reader's text, then tokenize a test sentence.

Training starts from the 256 single bytes and, until the vocabulary reaches `vocab_size`, merges the
adjacent pair that occurs most often in the training text (never across pre-token boundaries, with the
GPT-4 pattern), stopping early when no pair occurs twice. The test sentence is then encoded with the
learned merges and, for comparison, with o200k_base: fewer tokens for the same bytes is better
compression.
"""

from llm_core.bpe_train import train
from llm_core.controls import as_int
from llm_core.tokenizer import get_encoding, render_token, without_surrogates
from widgetlib.fmt import fixed, integer

MIN_VOCAB = 256  # the 256 single bytes: no merges yet
MAX_VOCAB = 1024  # the slider's top: 768 merges
MAX_TRAIN_CHARS = 20_000  # compute reruns on every slider move: 20,000 characters train in ~80 ms
MAX_TEST_CHARS = 300
N_HEAD, N_TAIL = 16, 8  # merges listed: the first ones (most frequent pairs) and the latest ones

DEFAULT_TEXT = """\
The river runs past the mill, and the miller listens to the river all day. In spring the river is \
loud and fast; in summer the river is slow and warm. The miller's children play by the water, \
throwing stones and counting the rings that spread across the surface.

Every morning the miller opens the sluice, and the water turns the wheel. The wheel turns the \
stones, the stones grind the grain, and the grain becomes flour. Nothing in the mill is clever on \
its own: each part only passes the work along to the next part, and the next part passes it on.

The farmers bring their grain to the mill in carts. They wait by the door and talk about the \
weather, the price of flour and the height of the river. When the river is high, the wheel turns \
faster and the miller grinds more grain; when the river is low, the farmers wait longer and talk more.

The baker buys the flour and carries it home in sacks. In the warm kitchen the flour becomes dough, \
the dough becomes bread, and the bread goes back along the river road to the farmers who grew the \
grain. Every loaf has travelled the same road twice.

In autumn the whole valley brings its harvest to the mill at once. The carts wait in a line along \
the river road, the wheel turns from morning until night, and the miller sleeps in the mill so that \
he can hear if the stones start to run dry. The children carry bread and water to the farmers in the \
line, and the farmers pay them in apples.

In winter the river freezes at the edges and the wheel turns slowly. The miller mends the sacks, \
sharpens the stones and counts the sacks of flour that are left. The farmers come less often, but \
when they come they stay longer, and they talk by the warm stove about the harvest, the river and \
the road.

At night the mill is quiet. The wheel stands still, the stones rest, the flour settles in its \
sacks, and the river keeps running past the mill: the same river, and never the same water.
"""

DEFAULTS = {
    "text": DEFAULT_TEXT,
    "vocab_size": 320,
    "test": "The miller's wheel turns the river's water into flour and bread.",
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"vocab_size": 256},
    {"vocab_size": 1024, "test": "Flour, water and salt: 3 things, 1 loaf. 🍞"},
    {"text": "", "test": ""},
]
DATA = ["vocab/o200k_base.tiktoken"]
CODE = [
    "llm_core.bpe_train.train",
    "llm_core.tokenizer.Encoding.encode",
    "llm_core.tokenizer.get_encoding",
    "llm_core.tokenizer.render_token",
]


def tokenized(enc, text: str, n_bytes: int) -> dict:
    """text encoded by enc -> {"n_tokens", "bytes_per_token", their texts, "tokens": chips}."""
    ids = enc.encode(text)
    return {
        "n_tokens": len(ids),
        "n_tokens_text": integer(len(ids)),
        "bytes_per_token": round(n_bytes / len(ids), 2) if ids else None,
        "bytes_per_token_text": fixed(n_bytes / len(ids), 2) if ids else "–",
        "tokens": [
            {"id": i, "segs": render_token(b), "nl": b"\n" in b} for i, b in zip(ids, enc.decode_tokens_bytes(ids))
        ],
    }


def merge_row(m: dict) -> dict:
    return {
        "rank": m["rank"],
        "count": m["count"],
        "count_text": integer(m["count"]),
        "left": render_token(m["left"]),
        "right": render_token(m["right"]),
        "merged": render_token(m["merged"]),
    }


def compute(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    text, test = p["text"], p["test"]
    if not isinstance(text, str):
        raise ValueError("the training text must be a string")
    if not isinstance(test, str):
        raise ValueError("the test sentence must be a string")
    vocab_size = as_int("vocab_size", p["vocab_size"], MIN_VOCAB, MAX_VOCAB)
    notes = []
    text, test = without_surrogates(text), without_surrogates(test)
    if len(text) > MAX_TRAIN_CHARS:
        notes.append(f"Training on the first {MAX_TRAIN_CHARS:,} of {len(text):,} characters.")
        text = text[:MAX_TRAIN_CHARS]
    if len(test) > MAX_TEST_CHARS:
        notes.append(f"Testing on the first {MAX_TEST_CHARS} of {len(test):,} characters of the sentence.")
        test = test[:MAX_TEST_CHARS]

    enc, merges = train(text, vocab_size)
    if len(merges) < vocab_size - MIN_VOCAB:
        notes.append(
            f"Training stopped after {len(merges):,} merges: no pair occurs twice any more. "
            "Paste more text to learn more."
        )
    n_test_bytes = len(test.encode("utf-8"))
    head = merges[:N_HEAD]
    tail = merges[max(N_HEAD, len(merges) - N_TAIL) :]
    n_skipped = len(merges) - len(head) - len(tail)
    return {
        "vocab_size": MIN_VOCAB + len(merges),
        "texts": {  # the counts as the figure writes them
            "vocab_size": integer(MIN_VOCAB + len(merges)),
            "n_merges": integer(len(merges)),
            "n_train_chars": integer(len(text)),
            "n_train_bytes": integer(len(text.encode("utf-8"))),
            "n_skipped": integer(n_skipped),
            "n_test_bytes": integer(n_test_bytes),
        },
        "requested_vocab_size": vocab_size,
        "n_merges": len(merges),
        "n_train_chars": len(text),
        "n_train_bytes": len(text.encode("utf-8")),
        "merges_head": [merge_row(m) for m in head],
        "merges_tail": [merge_row(m) for m in tail],
        "n_skipped": n_skipped,
        "n_test_bytes": n_test_bytes,
        "custom": tokenized(enc, test, n_test_bytes),
        "reference": {"name": "o200k_base", **tokenized(get_encoding("o200k_base"), test, n_test_bytes)},
        "note": " ".join(notes) or None,
    }

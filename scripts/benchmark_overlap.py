"""Contamination check of the tiny model's benchmark (models/tiny/sotu_cloze.json) against its training text.

For each item, its text (the context, a space, the right choice) is compared with the training split of
the tiny model's corpus (scripts/corpus.py) word by word, as GPT-3's check did (Brown et al. 2020,
arXiv:2005.14165, appendix C: lower case, punctuation ignored): the longest run of the item's words
that the training text also holds, and whether any N-gram of them is shared (N = 8, GPT-3's smallest
N), which makes the item "dirty". The results are written into the benchmark file, because the site's
build does not have the corpus (it never retrains); tests/core/test_evaluation.py recomputes them when
the corpus is in build/cache/corpus/.

    python scripts/benchmark_overlap.py        # fetch the corpus (once, with npm) and update the file
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from corpus import DEFAULT_CACHE, load_split  # noqa: E402

from llm_core.evaluation import longest_shared_run, searchable, shared_ngrams  # noqa: E402

BENCHMARK = ROOT / "models" / "tiny" / "sotu_cloze.json"
N = 8


def item_text(item):  # -> str: what the check compares, the question with its right answer
    return item["context"] + " " + item["choices"][item["answer"]]


def overlaps(items, training_text):  # -> [{"longest_run": int, "dirty": bool}] per item
    training = searchable(training_text)
    return [
        {
            "longest_run": longest_shared_run(item_text(item), training),
            "dirty": bool(shared_ngrams(item_text(item), training, N)),
        }
        for item in items
    ]


def training_text(cache_dir=DEFAULT_CACHE):  # -> str: the training split, documents joined
    train, _ = load_split(cache_dir=cache_dir)
    return "\n".join(text for _, text in train)


if __name__ == "__main__":
    bench = json.loads(BENCHMARK.read_text())
    for item, found in zip(bench["items"], overlaps(bench["items"], training_text())):
        item["overlap"] = found
    BENCHMARK.write_text(json.dumps(bench, indent=1, ensure_ascii=False) + "\n")
    dirty = sum(item["overlap"]["dirty"] for item in bench["items"])
    print(f"{dirty} of {len(bench['items'])} items share an {N}-gram with the training text")

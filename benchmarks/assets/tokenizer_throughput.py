# In the tokenizer page's worker, after a call set BENCH_TEXT: llm_core's o200k_base on a fresh Encoding (an
# empty piece cache), two passes; -> [first s, again s, ids].
import time

from llm_core import tokenizer

ref = tokenizer.get_encoding("o200k_base")
enc = tokenizer.Encoding(ref.name, ref.pat_str, ref.mergeable_ranks, ref.special_tokens)
t = time.perf_counter()
ids = enc.encode(BENCH_TEXT)  # noqa: F821 - set by the call before
first = time.perf_counter() - t
t = time.perf_counter()
ids2 = enc.encode(BENCH_TEXT)  # noqa: F821
again = time.perf_counter() - t
[first, again, ids]

"""Results remembered per model, so a widget runs a model again only when the reader changed its input.

A widget that draws several views of one expensive pass (every head of a traced forward, one head
enlarged at a time) keeps the last few passes: choosing another head then costs nothing. The memo is
kept per Model object, and weakly: the same token ids are other tokens in another model's vocabulary,
and a model the page lets go of (a reader's own GGUF file, replaced by another) takes its entries with
it instead of keeping hundreds of megabytes alive.

>>> calls = []
>>> @per_model(size=2)
... def double(model, key):
...     calls.append(key)
...     return 2 * key
>>> class M: pass
>>> a, b = M(), M()
>>> double(a, 1), double(a, 1), double(b, 1), calls
(2, 2, 2, [1, 1])
"""

import functools
import weakref


def per_model(size):  # decorator for fn(model, key) -> result
    """Remember fn(model, key) for the `size` keys of each model used most recently (keys hashable)."""

    def wrap(fn):
        memo = weakref.WeakKeyDictionary()  # model -> {key: result}, least recently used first

        @functools.wraps(fn)
        def remembered(model, key):
            results = memo.setdefault(model, {})
            if key in results:
                results[key] = results.pop(key)  # now the most recently used
            else:
                results[key] = fn(model, key)
                if len(results) > size:
                    del results[next(iter(results))]
            return results[key]

        remembered.cache_clear = memo.clear
        return remembered

    return wrap

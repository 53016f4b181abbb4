"""llm_core.memo: per-model memo of widget passes (kept per model object, least recently used dropped)."""

import gc
import weakref

from llm_core import memo


class Model:  # stands in for llm_core.model.Model: any object that can be weakly referenced
    pass


def test_each_model_keeps_its_own_most_recent_keys():
    calls = []

    @memo.per_model(size=2)
    def square(model, key):
        calls.append((id(model), key))
        return key * key

    a, b = Model(), Model()
    assert [square(a, 2), square(a, 3), square(a, 2), square(a, 4)] == [4, 9, 4, 16]  # 3 is dropped, not 2
    assert calls == [(id(a), 2), (id(a), 3), (id(a), 4)]
    square(a, 2), square(b, 2)
    assert calls[-1] == (id(b), 2) and len(calls) == 4  # b computes its own, a remembers 2
    square(a, 3)
    assert calls[-1] == (id(a), 3)


def test_a_model_let_go_takes_its_entries_with_it():
    @memo.per_model(size=4)
    def big(model, key):
        return bytearray(1000)

    m = Model()
    big(m, 1)
    gone = weakref.ref(m)
    del m
    gc.collect()
    assert gone() is None  # the memo does not keep the model (nor its entries) alive

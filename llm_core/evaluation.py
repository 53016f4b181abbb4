"""Evaluation: scoring a model's answers on a benchmark, how sure the score is, and whether it saw the test.

**Exact match** compares a generated answer with the reference answers after normalisation, as SQuAD's
official script does (Rajpurkar et al. 2016, arXiv:1606.05250; evaluate-v1.1.py, `normalize_answer`):
lower case, punctuation removed, the articles a, an, the removed, white space collapsed.

**Multiple choice by log-probability** asks no generation at all. For a question (the context) and n
choices, the model scores each choice c_j by log p(c_j | context), the sum of its tokens'
log-probabilities, and its pick is the highest (lm-evaluation-harness, Gao et al. 2021,
doi:10.5281/zenodo.5371628; its `acc`). A long choice has more tokens to pay for, so the harness also
reports `acc_norm`, the pick by log-probability per character of the choice: the two disagree exactly
where length matters. As the harness does, the choice follows the context after one space, and the
pair is tokenized together, then split where the context's tokens end (`encode_pair`).

**Accuracy** is a mean of n right/wrong outcomes; its binomial standard error, sqrt(acc (1 - acc) / n),
says how far another draw of n questions like these could move it. (lm-evaluation-harness divides by
n - 1 instead of n: the sample standard deviation.)

**Contamination**: a benchmark found in the training text tests memory, not skill. GPT-3's check
(Brown et al. 2020, arXiv:2005.14165, appendix C) counts an example as dirty when any N-gram of its
words (lower case, punctuation ignored) also occurs in the training data; `word_ngrams`,
`shared_ngrams` and `longest_shared_run` do that for one example against a training text.

>>> normalize_answer("The  Congress!"), exact_match("congress", ["The Congress", "the Senate"])
('congress', True)
>>> contains_answer("To the Congress.", "Congress"), contains_answer("Congressman Smith", "Congress")
(True, False)
>>> pick_choices([-4.0, -6.0], [4, 16])             # 'acc' picks choice 0, 'acc_norm' choice 1 (-0.375/char)
{'acc': 0, 'acc_norm': 1}
>>> out = accuracy([1, 1, 0, 1])
>>> out["acc"], round(out["stderr"], 4)
(0.75, 0.2165)
>>> word_ngrams("The state of the Union is strong.", 6)
[('the', 'state', 'of', 'the', 'union', 'is'), ('state', 'of', 'the', 'union', 'is', 'strong')]
"""

import math
import re
import string

import numpy as np

from .preference import sequence_logprob

ARTICLES = re.compile(r"\b(a|an|the)\b")
PUNCTUATION = set(string.punctuation)
WORD = re.compile(r"[^\W_]+")  # runs of letters and digits: what is left when punctuation is ignored


def normalize_answer(text):  # str -> str
    """SQuAD's normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in PUNCTUATION)
    return " ".join(ARTICLES.sub(" ", text).split())


def exact_match(prediction, references):  # str, [str] -> bool
    """True when the prediction equals any reference after normalize_answer."""
    return any(normalize_answer(prediction) == normalize_answer(ref) for ref in references)


def contains_answer(text, expected):  # str, str -> bool
    """A checked reward's test: the expected answer's words appear, in order and together, in the text.

    Both are normalised as normalize_answer does, so "To the Congress." contains "congress"; an expected
    answer with no words left (empty, or only an article) is never found.
    """
    needle = normalize_answer(expected)
    return bool(needle) and f" {needle} " in f" {normalize_answer(text)} "


def encode_pair(encoding, context, continuation):  # -> [n_context] ids, [n_continuation] ids
    """The context's ids and the continuation's, tokenized together and split where the context ends.

    As lm-evaluation-harness's `_encode_pair`: spaces ending the context move to the continuation (so
    " Congress" is the word with its space, as the model read it in training), then context + continuation
    is encoded whole and cut after as many ids as the context alone encodes to.
    """
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces:
        context, continuation = context[:-n_spaces], context[-n_spaces:] + continuation
    whole = encoding.encode(context + continuation)
    n_context = len(encoding.encode(context))
    return whole[:n_context], whole[n_context:]


def choice_logprobs(model, context, choices, delimiter=" "):  # str, [n_choices] str -> [n_choices] dicts
    """log p(choice | context) for each choice, on the model: its total and its tokens' ids and log-probs.

    An empty context reads <|endoftext|> alone (a new document), as the harness does. A context too long
    for the model's window loses its first tokens, as the harness cuts from the left; n_cut counts them.
    """
    scored = []
    for choice in choices:
        context_ids, choice_ids = encode_pair(model.encoding, context, delimiter + choice)
        if not context_ids:
            context_ids = [model.encoding.special_tokens["<|endoftext|>"]]
        if len(choice_ids) > model.cfg.n_ctx:
            raise ValueError(f"a choice of {len(choice_ids)} tokens does not fit the model's {model.cfg.n_ctx}")
        keep = model.cfg.n_ctx + 1 - len(choice_ids)  # the forward pass reads context + choice minus its last
        total, per_token = sequence_logprob(model, context_ids[-keep:], choice_ids)
        n_cut = max(0, len(context_ids) - keep)
        scored.append({"logprob": total, "ids": choice_ids, "token_logprobs": per_token, "n_cut": n_cut})
    return scored


def pick_choices(logprobs, lengths):  # [n_choices] floats, [n_choices] ints -> dict
    """The picks of `acc` (highest total log-prob) and `acc_norm` (highest log-prob per character).

    Ties go to the earlier choice (np.argmax). lengths are the choices' lengths in characters, without
    the delimiter, as the harness counts them.
    """
    logprobs = np.asarray(logprobs, dtype=np.float64)
    lengths = np.asarray(lengths, dtype=np.float64)
    if logprobs.ndim != 1 or logprobs.size == 0 or lengths.shape != logprobs.shape or np.any(lengths <= 0):
        raise ValueError("need one log-probability and one length > 0 per choice, and at least one choice")
    return {"acc": int(np.argmax(logprobs)), "acc_norm": int(np.argmax(logprobs / lengths))}


def accuracy(correct):  # [n] bools -> dict
    """The fraction right and its binomial standard error sqrt(p (1 - p) / n)."""
    correct = np.asarray(correct, dtype=np.float64)
    if correct.ndim != 1 or correct.size == 0:
        raise ValueError("accuracy needs at least one outcome")
    p = float(correct.mean())
    return {"acc": p, "stderr": math.sqrt(p * (1 - p) / correct.size), "n": int(correct.size)}


def words(text):  # str -> [str]
    """The words of a text as the overlap check compares them: lower case, punctuation and spacing ignored."""
    return WORD.findall(text.lower())


def word_ngrams(text, n):  # str, int -> [(str, ...)]
    """Every run of n consecutive words of the text, in order."""
    w = words(text)
    return [tuple(w[i : i + n]) for i in range(len(w) - n + 1)]


def searchable(text):  # str -> str
    """A training text as one string of its words, each with a space on both sides, for shared_ngrams."""
    return " " + " ".join(words(text)) + " "


def shared_ngrams(text, training, n):  # str, searchable str, int -> [(str, ...)]
    """The example's word n-grams that also occur in the training text (made by `searchable`)."""
    return [gram for gram in word_ngrams(text, n) if " " + " ".join(gram) + " " in training]


def longest_shared_run(text, training):  # str, searchable str -> int
    """The length in words of the longest run of the example's words that the training text also holds."""
    n = 0
    while n < len(words(text)) and shared_ngrams(text, training, n + 1):
        n += 1  # an (n + 1)-gram shared means every n-gram inside it is: the lengths found are 1..n
    return n

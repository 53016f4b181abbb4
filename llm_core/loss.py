"""Loss: how surprised the model is by the text it is trained on.

A language model is trained to give the actual next token a high probability. Its loss at one position
is the surprise -log p(actual next token): 0 if it was certain and right, large if it gave the token
little probability. Averaged over positions this is the cross-entropy between the text and the model
(Shannon 1948; the objective of every GPT since Radford et al. 2018). Perplexity = exp(mean loss) reads
as "as uncertain as choosing uniformly among this many tokens".

Logits are used directly through a stable log-softmax, so a probability too small for a float (which
would give log 0 = -inf) never has to be formed.

>>> loss, per_token = cross_entropy(np.log(np.array([[0.5, 0.25, 0.25]])), np.array([1]))
>>> round(float(loss), 6), round(float(perplexity(loss)), 6)  # -log 0.25 = log 4
(1.386294, 4.0)
"""

import numpy as np


def log_softmax(logits):  # [..., n_vocab] -> [..., n_vocab]
    """log softmax(logits) = logits - max - log(sum(exp(logits - max))), stable for any finite logits."""
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def surprise(p):  # [...] -> [...]
    """-log p, in nats: 0 for a certain event, +inf for an impossible one."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return -np.log(p)


def cross_entropy(logits, targets):  # [n_seq, n_vocab], [n_seq] int -> float, [n_seq]
    """Mean over positions of -log softmax(logits)[target]; returns (mean_loss, per-position losses).

    Position t's logits predict targets[t] (for a language model, targets are the input ids shifted
    left by one). A target whose logit is -inf has loss +inf.
    """
    logits = np.asarray(logits)
    targets = np.asarray(targets)
    if logits.ndim != 2 or targets.shape != logits.shape[:1]:
        raise ValueError(f"need logits [n_seq, n_vocab] and targets [n_seq], got {logits.shape}, {targets.shape}")
    if targets.size == 0:
        raise ValueError("cross_entropy needs at least one position (n_seq >= 1)")
    if targets.min() < 0 or targets.max() >= logits.shape[1]:
        raise ValueError(f"targets must be token ids in [0, {logits.shape[1]})")
    per_token = -log_softmax(logits)[np.arange(len(targets)), targets]
    return float(per_token.mean()), per_token


def cross_entropy_backward(logits, targets):  # [n_seq, n_vocab], [n_seq] int -> [n_seq, n_vocab]
    """The gradient of cross_entropy's mean loss with respect to the logits: (softmax(logits) - onehot) / n_seq.

    Position t's loss is -logits[t, target] + log sum exp(logits[t]); its derivative is the predicted
    probability of every token, minus 1 at the target. Each row sums to 0: raising every logit of a
    position alike changes nothing.

    >>> cross_entropy_backward(np.log(np.array([[0.5, 0.25, 0.25]])), np.array([1]))
    array([[ 0.5 , -0.75,  0.25]])
    """
    d_logits = np.exp(log_softmax(logits))
    d_logits[np.arange(len(targets)), targets] -= 1
    return d_logits / len(targets)


def perplexity(mean_loss):  # float -> float
    """exp(mean cross-entropy in nats): the effective number of equally likely choices per token."""
    return float(np.exp(mean_loss))


def bits_per_token(mean_loss):  # float -> float
    """Mean cross-entropy in bits instead of nats (divide by ln 2)."""
    return float(mean_loss / np.log(2.0))

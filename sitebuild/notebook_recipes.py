"""Each figure's notebook cell, by widget: the llm_core calls its compute() makes, written for a student.

A recipe is the cell's imports, the names of the widget parameters it reads (the notebook assigns each
from the chapter's inputs, `name = value`, above the body) and the body, which prints what the figure
shows. Every recipe runs in tests/build/test_notebooks.py, on every chapter that places its widget, and
tests/build/test_notebook_recipes.py checks that its output holds the numbers the widget's compute() gives.

Every widget a chapter places needs a recipe: `build.py --strict` fails on one without (missing_recipes),
unless its name is in WITHOUT_RECIPE, whose widgets' cells run the page's own compute() instead.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Recipe:
    imports: str
    inputs: tuple[str, ...]
    body: str


# Widgets placed in a chapter whose recipe is still to be written: their notebook cell runs the page's own
# compute() (fetched from the site) and prints its readable fields. Only while a recipe is being written:
# add the widget's name here, and remove it with the recipe and its check in test_notebook_recipes.py.
WITHOUT_RECIPE: frozenset[str] = frozenset()


def missing_recipes(placed) -> list[str]:
    """The placed widgets (names) with neither a recipe in RECIPES nor a place in WITHOUT_RECIPE, sorted."""
    return sorted({name for name in placed if name not in RECIPES and name not in WITHOUT_RECIPE})


RECIPES: dict[str, Recipe] = {
    "optimizer_race": Recipe(
        "from llm_core.optimizers import SURFACES, optimize",
        ("surface", "x0", "y0", "lr_exp", "steps", "beta", "beta1", "beta2"),
        r"""
# SGD, momentum and Adam from the same start on a 2-D loss surface, with the same learning rate 10^lr_exp.
s = SURFACES[surface]
lr = 10.0**lr_exp
settings = {"sgd": {}, "momentum": {"beta": beta}, "adam": {"beta1": beta1, "beta2": beta2}}
for method, hyper in settings.items():
    path = optimize(s.f, s.grad, (x0, y0), method, lr=lr, steps=steps, diverge_at=1000, **hyper)  # [n, 2]
    x, y = path[-1]
    print(f"{method:>8}: after {len(path) - 1} steps at ({x:+.3f}, {y:+.3f}), loss {s.f(path[-1]):.4g}")
""",
    ),
    "mixed_precision": Recipe(
        "import numpy as np\n\nfrom llm_core.mixed_precision import SETUPS, MixedPrecisionConfig, bigram_counts, "
        "float_bits, train_mixed_precision\nfrom llm_core.model_files import read_model_file",
        ("lr_exp", "scale_exp", "dynamic", "batch_exp", "steps", "number"),
        r"""
# A character bigram model (logits = W[previous character]) on Washington's 1790 message, trained with Adam
# five ways from the same random start: fp32; bf16 weights alone; bf16 compute with fp32 master weights;
# fp16 compute without and with loss scaling. The loss is a mean over the text read 2^batch_exp times.
text = read_model_file("texts", "washington-1790.txt").decode("utf-8")
chars = sorted(set(text))
counts = bigram_counts([chars.index(c) for c in text], len(chars))  # [n_vocab, n_vocab]
w0 = np.random.default_rng(0).normal(0.0, 1.0, counts.shape).astype(np.float32)
for setup in SETUPS:
    config = MixedPrecisionConfig(
        setup, 10.0**lr_exp, steps, 2**batch_exp, loss_scale=2.0**scale_exp, dynamic=dynamic, growth_interval=20
    )
    r = train_mixed_precision(counts, config, w0)
    print(
        f"{setup:>12}: loss {r['loss'][0]:.3f} -> {r['final_loss']:.3f}; updates lost {r['updates_lost']:,}, "
        f"gradient values underflowed {r['grads_underflowed']:,}, steps skipped {r['steps_skipped']}"
    )
for fmt in ("fp32", "bf16", "fp16"):
    b = float_bits(float(number), fmt)
    print(f"{number} in {fmt}: sign {b['sign']} exponent {b['exponent']} mantissa {b['mantissa']} = {b['value']!r}")
""",
    ),
    "swiglu_ffn": Recipe(
        "import numpy as np\n\nfrom llm_core.ffn import swiglu\nfrom llm_core.model_files import load_model\n"
        "from llm_core.norms import rms_norm",
        ("prompt", "layer", "position"),
        r"""
# One token's trip through a layer's feed-forward network: normalise, then (silu(x W_gate) * (x W_up)) W_down.
model = load_model("models/tiny")
ids = model.encoding.encode(prompt)
pos = min(position, len(ids) - 1)
_, trace = model.forward(ids[: pos + 1], trace=True, lens=False)
w = {name: model.weights[f"layers.{layer}.{name}"] for name in ("ffn_norm", "w_gate", "w_up", "w_down")}
residual = trace["residual"][2 * layer + 1][pos]  # [d_model]: the stream after this layer's attention
x = rms_norm(residual, w["ffn_norm"], model.cfg.norm_eps)
out, ffn = swiglu(x[None, :], w["w_gate"], w["w_up"], w["w_down"])
hidden = ffn["hidden"][0]  # [d_ff]: the hidden neurons' activations
print(f"layer {layer}, token {pos} {model.encoding.decode([ids[pos]])!r}: {len(hidden)} hidden neurons")
for i in np.argsort(-np.abs(hidden), kind="stable")[:6]:
    print(f"  neuron {i:>3}: gate {ffn['gate'][0, i]:+.2f}, up {ffn['up'][0, i]:+.2f} -> {hidden[i]:+.3f}")
print(f"output added to the stream: |out| = {np.linalg.norm(out):.3f}, |stream| = {np.linalg.norm(residual):.3f}")
""",
    ),
    "superposition": Recipe(
        "import numpy as np\n\nfrom llm_core.superposition import (\n    ToyConfig, dimensions_per_feature, "
        "feature_norms, superposition, train_toy_model,\n)",
        ("n_features", "sparsity", "importance_decay", "seed"),
        r"""
# The toy model of superposition: n sparse features squeezed into 2 dimensions by W, read back with ReLU(W^T W x + b).
cfg = ToyConfig(n_features, 2, sparsity, importance_decay, batch_size=256, steps=400, learning_rate=0.03)
w, b, losses = train_toy_model(cfg, np.random.default_rng(seed))  # w [2, n_features]
norms, shared = feature_norms(w), superposition(w)
print(f"{int(np.sum(norms >= 0.5))} of {n_features} features kept (norm >= 0.5); loss {losses[-50:].mean():.4f}")
print(f"dimensions per feature: {dimensions_per_feature(w):.2f}")
for i in range(n_features):
    angle = np.degrees(np.arctan2(w[1, i], w[0, i]))
    print(f"  feature {i}: norm {norms[i]:.2f}, superposition {shared[i]:.2f}, angle {angle:+.0f} degrees")
""",
    ),
    "token_loss": Recipe(
        "import numpy as np\n\nfrom llm_core.loss import cross_entropy, perplexity\nfrom llm_core.model_files import load_model",
        ("text",),
        r"""
# Every token of the text scored by the model from the tokens before it: loss = -ln p(the real next token).
model = load_model("models/tiny")
ids = model.encoding.encode(text)
logits, _ = model.forward(ids[:-1])  # [n_seq - 1, n_vocab]: position t predicts token t + 1
mean, per_token = cross_entropy(logits, np.array(ids[1:]))
for token, loss in zip(ids[1:], per_token):
    print(f"{model.encoding.decode([token])!r:>14}  loss {loss:5.2f} nats  (p = {np.exp(-loss):.1%})")
print(f"mean loss {mean:.3f} nats, perplexity {perplexity(mean):.1f}")
""",
    ),
    "weight_quantizer": Recipe(
        "import numpy as np\n\nfrom llm_core.model_files import load_model\n"
        "from llm_core.quantization import dequantize, quantize_absmax",
        ("layer", "matrix", "format", "group_size"),
        r"""
# One weight matrix of the tiny model rounded to `format` integers with absmax scaling (one scale per tensor,
# per output channel, or per group of `group_size` weights), then read back: how far each weight moved.
model = load_model("models/tiny")
w = model.weights["tok_emb" if matrix == "tok_emb" else f"layers.{layer}.{matrix}"]
bits = {"int8": 8, "int4": 4}.get(format, 8)  # fp16 and bf16 are not integer formats: int8 stands in here
for granularity, kwargs in (("per tensor", {}), ("per channel", {"axis": 1}), ("group-wise", {"group_size": group_size})):
    q, scales, error = quantize_absmax(w, bits, **kwargs)
    moved = np.abs(dequantize(q, scales) - w)
    print(f"{matrix} {w.shape} as int{bits}, {granularity:>11}: {np.size(scales):5} scales, "
          f"largest error {moved.max():.4f}, mean {moved.mean():.5f} (weights up to {np.abs(w).max():.3f})")
""",
    ),
    "logit_lens": Recipe(
        "import numpy as np\n\nfrom llm_core.model_files import load_model",
        ("prompt",),
        r"""
# The logit lens: the residual stream after each layer read out through the model's final norm and output
# matrix, as if the model stopped there. forward's trace holds it: logit_lens [n_layer, n_seq, n_vocab].
model = load_model("models/tiny")
ids = model.encoding.encode(prompt)
logits, trace = model.forward(ids, trace=True)
lens = trace["logit_lens"]
print("position  token          " + "  ".join(f"layer {i:<8}" for i in range(len(lens))))
for t in range(len(ids) - 1):
    guesses = [model.encoding.decode([int(np.argmax(lens[layer, t]))]) for layer in range(len(lens))]
    hit = ["*" if model.encoding.encode(g) == [ids[t + 1]] else " " for g in guesses]
    print(f"{t:>8}  {model.encoding.decode([ids[t]])!r:>12}   " + "  ".join(f"{g!r:<13}"[:13] + h for g, h in zip(guesses, hit)))
print("* the layer's top guess is the real next token")
""",
    ),
    "attention_head": Recipe(
        "import numpy as np\n\nfrom llm_core.model_files import load_model",
        ("prompt", "layer", "head", "query"),
        r"""
# One attention head: where the query token looks. forward's trace holds every head's attention weights,
# attention [n_layer, n_head, n_seq, n_seq] (each row a softmax over the tokens it may see: itself and before).
model = load_model("models/tiny")
ids = model.encoding.encode(prompt)
_, trace = model.forward(ids, trace=True, lens=False)
q = min(query, len(ids) - 1)
weights = trace["attention"][layer, head, q]  # [n_seq]
print(f"layer {layer}, head {head}: token {q} {model.encoding.decode([ids[q]])!r} attends to")
for k in np.argsort(-weights, kind="stable")[:8]:
    print(f"  {k:>3} {model.encoding.decode([ids[k]])!r:>12}  {weights[k]:6.1%}")
""",
    ),
    "token_vector": Recipe(
        "import numpy as np\n\nfrom llm_core.embeddings import cosine_similarity, embed, nearest_neighbours\n"
        "from llm_core.model_files import load_model",
        ("text", "position", "a", "b"),
        r"""
# Each token id picks one row of the embedding table: a vector of d_model numbers.
model = load_model("models/tiny")
table = model.weights["tok_emb"].astype(np.float64)  # [n_vocab, d_model]
ids = model.encoding.encode(text)
token = ids[min(position, len(ids)) - 1]
print(f"{text!r} -> {ids}; token {position} is {model.encoding.decode([token])!r}, its vector starts")
print(np.round(table[token][:8], 3), f"... ({table.shape[1]} numbers)")

# Two tokens' vectors compared by their cosine, and the tokens nearest the first one.
id_a, id_b = model.encoding.encode(a)[0], model.encoding.encode(b)[0]
va, vb = embed([id_a, id_b], table)
print(f"cosine({a!r}, {b!r}) = {cosine_similarity(va, vb):.3f}")
order, sims = nearest_neighbours(table[id_a], table, k=8, exclude=[id_a])
print(f"nearest {a!r}:", ", ".join(f"{model.encoding.decode([int(i)])!r} {s:.2f}" for i, s in zip(order, sims)))
""",
    ),
    "vector_math": Recipe(
        "import numpy as np\n\nfrom llm_core.embeddings import embed, nearest_neighbours\n"
        "from llm_core.model_files import load_model",
        ("a", "b", "c", "expect"),
        r"""
# A - B + C in the embedding space, then the tokens whose vectors point most the same way.
model = load_model("models/tiny")
table = model.weights["tok_emb"].astype(np.float64)  # [n_vocab, d_model]
ids = [model.encoding.encode(word)[0] for word in (a, b, c)]  # each word's first token
va, vb, vc = embed(ids, table)
order, sims = nearest_neighbours(va - vb + vc, table, k=8, exclude=ids)
print(f"{a!r} - {b!r} + {c!r} is nearest to:")
for i, s in zip(order, sims):
    mark = "  <- expected" if model.encoding.decode([int(i)]) == expect else ""
    print(f"  {model.encoding.decode([int(i)])!r:>14}  cosine {s:.3f}{mark}")
""",
    ),
    "embedding_map": Recipe(
        "import numpy as np\n\nfrom llm_core.embeddings import embed, pca\nfrom llm_core.model_files import load_model",
        ("words",),
        r"""
# Words' embedding vectors (128 numbers each) projected onto their 2 directions of largest variance (PCA).
model = load_model("models/tiny")
table = model.weights["tok_emb"].astype(np.float64)  # [n_vocab, d_model]
kept = []
for word in words.replace(";", ",").split(","):
    ids = model.encoding.encode(" " + word.strip())
    if len(ids) == 1:  # words the tiny model reads as one token
        kept.append((word.strip(), ids[0]))
coords, components, explained = pca(embed([i for _, i in kept], table), n_components=2)
print(f"{len(kept)} words; the two directions explain {explained.sum():.0%} of the variance")
for (word, _), (x, y) in zip(kept, coords):
    print(f"{word:>10}  {x:+6.2f} {y:+6.2f}")
""",
    ),
    "rope_frequencies": Recipe(
        "from llm_core.model import ModelConfig\nfrom llm_core.model_files import read_model_file\n"
        "from llm_core.rope import rope_frequencies, rope_wavelengths, unseen_angle_pairs",
        ("factor",),
        r"""
# RoPE turns each pair of a head's dimensions by position x frequency; stretching the context by `factor`
# with position interpolation (linear) or NTK-aware scaling changes those frequencies.
cfg = ModelConfig.from_json(read_model_file("models/tiny", "config.json"))
plain = rope_frequencies(cfg.d_head, cfg.rope_base)
n_ctx_new = round(cfg.n_ctx * factor)
for scaling in (None, "linear", "ntk"):
    f = rope_frequencies(cfg.d_head, cfg.rope_base, scaling=scaling, factor=factor)
    unseen = unseen_angle_pairs(plain, f, cfg.n_ctx, n_ctx_new)
    shortest, longest = rope_wavelengths(f)[[0, -1]]
    print(f"{scaling or 'none':>6}: wavelengths {shortest:.1f} to {longest:,.0f} positions; at {n_ctx_new} positions "
          f"{int(unseen.sum())} of {len(f)} pairs turn past any angle seen in training")
""",
    ),
    "tokenizer_compare": Recipe(
        "from llm_core.bpe_merges import load_merges_encoding\nfrom llm_core.tokenizer import get_encoding",
        ("text",),
        r"""
# The same text through three of OpenAI's tokenizers and SmolLM2's: how many tokens each needs, and where it cuts.
for name in ("o200k_base", "cl100k_base", "r50k_base", "SmolLM2"):
    enc = load_merges_encoding("models/smollm2/tokenizer.json", name) if name == "SmolLM2" else get_encoding(name)
    ids = enc.encode(text)
    pieces = [piece.decode("utf-8", errors="replace") for piece in enc.decode_tokens_bytes(ids)]
    print(f"{name}: {len(ids)} tokens, {len(text) / len(ids):.2f} characters per token")
    print("  " + " | ".join(repr(piece)[1:-1] for piece in pieces[:24]) + (" ..." if len(pieces) > 24 else ""))
""",
    ),
    "bpe_stepper": Recipe(
        "from llm_core.tokenizer import get_encoding",
        ("text", "encoding"),
        r"""
# Byte-level BPE: start from bytes, then merge the pair with the lowest rank (learned earliest), again and again.
enc = get_encoding(encoding)
trace = enc.encode_with_trace(text)  # one entry per pre-token: its merges in order
step = 0
for pretoken in trace:
    for merge in pretoken["steps"]:
        step += 1
        print(f"step {step}: merge {merge['left']!r} + {merge['right']!r} (rank {merge['rank']:,})")
ids = enc.encode(text)
print(f"{text!r} -> {ids}: {[enc.decode([i]) for i in ids]}")
""",
    ),
    "next_token": Recipe(
        "import numpy as np\n\nfrom llm_core.generation import prefill\nfrom llm_core.model_files import load_model\n"
        "from llm_core.sampling import sample",
        ("prompt", "temperature", "top_k", "top_p", "min_p", "seed"),
        r"""
# The model reads the prompt and scores every token of its vocabulary as the next one; sample() turns the
# scores into probabilities (softmax at the temperature), cuts the tail (top-k, top-p, min-p) and draws.
model = load_model("models/tiny")  # Glassbox's tiny model, from the data folder
ids = model.encoding.encode(prompt)
_, logits = prefill(model, ids)  # [n_vocab]: the next position's scores
out = sample(logits, temperature, top_k, top_p, min_p, rng=seed)
probs, before = out["probs"], out["stages"]["temperature"]
for i in np.argsort(-logits, kind="stable")[:10]:
    mark = "  <- drawn" if i == out["token"] else ""
    print(f"{model.encoding.decode([int(i)])!r:>16}  logit {logits[i]:6.2f}  p {before[i]:6.1%} -> {probs[i]:6.1%}{mark}")
print(f"{int(out['kept'].sum())} tokens survive the filters; drawn: {model.encoding.decode([out['token']])!r}")
""",
    ),
    "generate": Recipe(
        "from llm_core.model_files import load_model",
        ("prompt", "n_tokens", "temperature", "top_k", "top_p", "min_p", "seed"),
        r"""
# The loop: predict the next token, sample it, append it, repeat (with the KV cache, one new token per pass).
model = load_model("models/tiny")
out = model.generate(prompt, n_tokens, temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p, seed=seed)
print(prompt + out["text"])
print()
for step in out["steps"][:8]:
    print(f"{step['piece']!r:>14}: probability {step['prob']:.1%} after the filters, {step['p_model']:.1%} before")
""",
    ),
    "lora_params": Recipe(
        "from llm_core.configs import CONFIGS, parameter_count\nfrom llm_core.lora import lora_model_parameter_count",
        ("model", "rank", "targets"),
        r"""
# LoRA trains two thin matrices per target matrix, rank x (d_in + d_out) numbers, instead of the matrix.
cfg = CONFIGS[model]
total = parameter_count(cfg)["total"]
count = lora_model_parameter_count(cfg, rank, targets)
for name, n in count["per_matrix"].items():
    print(f"{name}: {n:,} LoRA numbers per block")
print(f"{cfg.name}, rank {rank}, targets {targets!r}: {count['lora']:,} trainable numbers "
      f"= {count['lora'] / total:.3%} of its {total:,} parameters")
""",
    ),
    "model_size": Recipe(
        "from llm_core.configs import CONFIGS, MOE_CONFIGS, parameter_count, weights_bytes\n"
        "from llm_core.quantization import quantized_bytes",
        ("model", "billions", "group_size"),
        r"""
# Bytes to hold a model's weights: bits per weight, plus one 2-byte scale per group of weights when quantized.
formats = [("fp32", 32), ("fp16", 16), ("int8", 8), ("int4", 4)]
if model in CONFIGS:
    cfg = CONFIGS[model]
    n = parameter_count(cfg)["total"]
    print(f"{cfg.name}, {n:,} parameters:")
    for name, bits in formats:
        print(f"  {name}: {weights_bytes(cfg, bits, group_size if bits < 16 else None) / 1e9:8.2f} GB")
else:
    print(f"{model} is a mixture of experts: see MOE_CONFIGS[{model!r}]")

n_any = round(billions * 1e9)  # any model of that many parameters
groups = -(-n_any // group_size)  # ceil(n / group_size)
print(f"a {billions}B model:")
for name, bits in formats:
    print(f"  {name}: {quantized_bytes(n_any, bits, groups if bits < 16 else 0, 2) / 1e9:8.2f} GB")
""",
    ),
    "data_pipeline": Recipe(
        "import re\n\nimport numpy as np\n\nfrom llm_core.data_pipeline import (\n    DedupConfig, candidate_probability, "
        "exact_duplicates, hash_functions, jaccard, lsh_threshold, minhash, minhash_jaccard,\n    near_duplicates, "
        "quality_failures, shingle_ids, shingles,\n)\nfrom llm_core.model_files import read_model_file",
        ("text", "unit", "n", "bands", "rows", "seed"),
        r"""
# The two addresses cut into documents of whole sentences (80 words or more; D1, D2, ... as in the figure,
# which then plants copies and junk), then your document.
docs = []
for name in ("washington-1790.txt", "lincoln-1862.txt"):
    current = []
    for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z\"])", read_model_file("texts", name).decode().strip()):
        current.append(sentence)
        if len(" ".join(current).split()) >= 80:
            docs.append(" ".join(current))
            current = []
    if current:
        docs[-1] += " " + " ".join(current)
docs.append(text)
names = [f"D{i + 1}" for i in range(len(docs) - 1)] + ["your document"]
print(f"{len(docs)} documents; exact copies (SHA-1 of the normalised text):",
      [f"{names[i]} of {names[of]}" for i, of in enumerate(exact_duplicates(docs)) if of >= 0] or "none")
# MinHash signatures over shingles of n words (or characters), b bands of r rows for LSH.
cfg = DedupConfig(unit=unit, n=n, n_bands=bands, n_rows=rows)
coeffs = hash_functions(cfg.n_hashes, np.random.default_rng(seed))
sets = [shingles(d, n, unit) for d in docs]
sigs = np.stack([minhash(shingle_ids(s), coeffs) for s in sets])  # [n_docs, b r]
for i, fate in enumerate(near_duplicates(sigs, cfg)):
    if fate["of"] >= 0:
        print(f"{names[i]} is a near copy of {names[fate['of']]}: MinHash {fate['estimate']:.2f}, "
              f"exact Jaccard {jaccard(sets[i], sets[fate['of']]):.2f}")
print("Gopher's rules your document breaks:", quality_failures(text) or "none")
near = max(range(len(docs) - 1), key=lambda i: jaccard(sets[-1], sets[i]))
s = jaccard(sets[-1], sets[near])
print(f"your nearest document: D{near + 1}, exact Jaccard {s:.3f}, MinHash {minhash_jaccard(sigs[-1], sigs[near]):.3f}")
print(f"P(candidate) at s = {s:.2f}: {candidate_probability(s, bands, rows):.3f}; "
      f"the S-curve is steepest near {lsh_threshold(bands, rows):.2f}")
""",
    ),
    "pass_at_k": Recipe(
        "from llm_core.reasoning import majority_accuracy, pass_at_k",
        ("n", "c", "k", "p", "m", "wrong"),
        r"""
# pass@k: the chance that k answers drawn from n samples, c of them right, include a right one
# (Chen et al. 2021's unbiased estimator), against the plug-in estimate 1 - (1 - c/n)^k.
print(f"pass@{k} from {n} samples with {c} right: {pass_at_k(n, c, k):.3f} "
      f"(plug-in estimate {1 - (1 - c / n) ** k:.3f})")
# Majority voting over m samples, each right with probability p, a wrong one among `wrong` wrong answers.
n_wrong = None if wrong == "different" else int(wrong)
for votes in (1, 3, 5, 9, m):
    print(f"majority of {votes:>2}: right with probability {majority_accuracy(p, votes, n_wrong):.3f}")
""",
    ),
    "grpo_advantages": Recipe(
        "import numpy as np\n\nfrom llm_core.reasoning import group_advantages, grpo_objective",
        ("rewards", "step", "clip_eps", "beta"),
        r"""
# GRPO scores each answer of a group against the group: advantage = (reward - mean) / std.
r = np.array([float(v) for v in rewards.replace(",", " ").split()])
adv = group_advantages(r)
# One answer-token each, its log-probability moved by `step` in the direction of its advantage.
old = np.full((len(r), 1), -1.0)
new = old + step * np.sign(adv)[:, None]
out = grpo_objective(new, old, old, adv, clip_eps=clip_eps, beta=beta)
for i in range(len(r)):
    print(f"answer {i + 1}: reward {r[i]:.2f}  advantage {adv[i]:+.3f}  ratio {out['ratio'][i, 0]:.3f}"
          f"  clipped {bool(out['clipped'][i, 0])}")
print({key: value for key, value in out.items() if np.ndim(value) == 0})
""",
    ),
    "post_training": Recipe(
        "import json\n\nimport numpy as np\n\nfrom llm_core.bpe_merges import encoding_from_gguf_metadata\n"
        "from llm_core.chat import chat_reply, chat_template, encode_chat, sft_loss_mask\n"
        "from llm_core.data import read_bytes\nfrom llm_core.evaluation import contains_answer\n"
        "from llm_core.model_files import load_model\nfrom llm_core.preference import dpo_loss, sequence_logprob\n"
        "from llm_core.reasoning import group_advantages",
        ("prompt", "chosen", "rejected", "expected", "group", "seed"),
        r"""
# One conversation through the stages, on the tiny model (which reads the chat template as plain text).
model = load_model("models/tiny")
metadata = json.loads(read_bytes("models/smollm2/tokenizer.json"))  # SmolLM2's tokenizer and chat format
smollm2, template = encoding_from_gguf_metadata(metadata), chat_template(metadata)


def logprobs(ids):  # [n] ids -> [n - 1]: log p(ids[t + 1] | ids[: t + 1])
    return sequence_logprob(model, ids[:1], ids[1:])[1]


# 1. Pre-training: plain text, every token a target.
ids = [model.encoding.special_tokens["<|endoftext|>"], *model.encoding.encode(f"{prompt} {chosen}")]
print(f"pre-training: {len(ids) - 1} targets, mean loss {-logprobs(ids).mean():.3f} nats")
# 2. SFT: the conversation in SmolLM2's template; only the answer and its <|im_end|> are targets.
messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": chosen}]
shown = encode_chat(smollm2, template, messages)
mask = sft_loss_mask(shown, messages)
print(f"SFT in SmolLM2's tokens: {len(mask)} tokens, {mask.sum()} targets:", smollm2.decode(np.array(shown["ids"])[mask]))
logp = {}
for name, answer in (("chosen", chosen), ("rejected", rejected)):
    messages[1]["content"] = answer
    tiny = encode_chat(model.encoding, template, messages, controls_as_text=True)
    targets = logprobs(tiny["ids"])[sft_loss_mask(tiny, messages)[1:]]
    logp[name] = targets.sum()
    print(f"  {name}: the tiny model's {len(targets)} targets, mean loss {-targets.mean():.3f} nats")
# 3. Preference: DPO with the policy still equal to its reference.
out = dpo_loss(logp["chosen"], logp["rejected"], logp["chosen"], logp["rejected"], beta=0.1)
print(f"log pi(chosen) {logp['chosen']:.3f}, log pi(rejected) {logp['rejected']:.3f}, DPO loss {out['loss']:.3f}")
# 4. RL: a group of sampled answers, each rewarded 1 if it contains the expected answer.
question = encode_chat(model.encoding, template, messages[:1], True, controls_as_text=True)["ids"]
answers = []
for i in range(group):
    steps = chat_reply(model, question, -1, 16, 1.0, 1.0, np.random.default_rng([seed, i]))
    answers.append(model.encoding.decode([step["token"] for kind, step in steps if kind == "token"]))
rewards = np.array([float(contains_answer(a, expected)) for a in answers])
for a, r, adv in zip(answers, rewards, group_advantages(rewards)):
    print(f"reward {r:.0f}  advantage {adv:+.3f}  {a!r}")
""",
    ),
    "compute_optimal": Recipe(
        "from llm_core.scaling import compute_optimal, gpu_days, loss_at_budget, rule_of_thumb",
        ("log10_flops", "utilization"),
        r"""
# A training budget of 10^log10_flops FLOPs split into parameters N and tokens D (C = 6 N D): the split
# that minimises Chinchilla's fitted loss, against the rule of thumb of 20 tokens per parameter.
flops = 10.0**log10_flops
for name, split in (("fitted optimum", compute_optimal(flops)), ("20 tokens/param", rule_of_thumb(flops))):
    n, d = split["n_params"], split["n_tokens"]
    print(f"{name:>16}: N = {n:.3g} parameters, D = {d:.3g} tokens, loss {float(loss_at_budget(n, flops)):.3f}")
h100 = 989e12  # peak dense BF16 FLOP/s of an NVIDIA H100 SXM (its datasheet)
print(f"{gpu_days(flops, h100, utilization):.3g} H100-days at {utilization:.0%} of peak")
""",
    ),
    "kv_memory": Recipe(
        "from llm_core.configs import CONFIGS, MOE_CONFIGS\nfrom llm_core.kv_cache import attention_variants, kv_bytes_per_token, "
        "kv_cache_bytes",
        ("model", "log2_context", "batch", "precision"),
        r"""
# The KV cache of a real model: 2 (K and V) x layers x KV heads x d_head values per token, for the
# published GQA and for the same model with multi-head (MHA) and multi-query (MQA) attention.
bytes_per_value = {"fp32": 4, "fp16": 2, "int8": 1, "int4": 0.5}[precision]
cfg = {**CONFIGS, **MOE_CONFIGS}[model]  # a mixture of experts caches by its attention, not its experts
n_ctx = 2**log2_context
for name, variant in attention_variants(cfg).items():
    per_token = kv_bytes_per_token(variant, bytes_per_value)
    total = kv_cache_bytes(variant, n_ctx, batch, bytes_per_value)
    print(f"{name}: {variant.n_kv_head:>3} KV heads, {per_token / 1024:7.0f} KiB per token, "
          f"{total / 2**30:7.2f} GiB for {batch} x {n_ctx:,} tokens")
""",
    ),
    "moe_params": Recipe(
        "from llm_core.moe import MOE_CONFIGS, flops_per_token, parameter_counts, weights_bytes",
        ("config",),
        r"""
# A mixture of experts holds every expert in memory but runs only top_k of them per token:
# memory follows the total parameter count, compute per token the active count.
for key, cfg in MOE_CONFIGS.items():
    n = parameter_counts(cfg)
    mark = " <- this chapter's" if key == config else ""
    print(f"{cfg.name:>16}: {n['total'] / 1e9:6.1f}B total, {n['active'] / 1e9:5.1f}B active "
          f"({cfg.top_k} of {cfg.n_expert} experts), {weights_bytes(n['total'], 16) / 1e9:6.0f} GB in bf16, "
          f"{flops_per_token(n['active']) / 1e9:5.1f} GFLOPs per token{mark}")
""",
    ),
    "activation_explorer": Recipe(
        "import numpy as np\n\nfrom llm_core.activations import ACTIVATIONS, GRADIENTS",
        ("x",),
        r"""
# Each activation's value and slope (its derivative) at x, then a coarse table of the curves.
for name in ("relu", "gelu", "silu", "tanh", "sigmoid"):
    f, slope = ACTIVATIONS[name], GRADIENTS[name]
    print(f"{name:>8}({x}) = {float(f(np.array(x))):+.3f}   slope {float(slope(np.array(x))):+.3f}")

xs = np.linspace(-4, 4, 9)
print("\n       x " + " ".join(f"{v:+6.1f}" for v in xs))
for name in ("relu", "gelu", "silu"):
    print(f"{name:>8} " + " ".join(f"{v:+6.2f}" for v in ACTIVATIONS[name](xs)))
""",
    ),
    "neuron": Recipe(
        "from llm_core.activations import neuron",
        ("x1", "x2", "x3", "w1", "w2", "w3", "bias", "activation"),
        r"""
# y = f(w . x + b), with each step returned.
products, z, y = neuron([x1, x2, x3], [w1, w2, w3], bias, activation)
for i, (product, xi, wi) in enumerate(zip(products, [x1, x2, x3], [w1, w2, w3]), 1):
    print(f"w{i} x x{i} = {wi} x {xi} = {product:+.2f}")
print(f"z = sum + bias = {products.sum():+.2f} + {bias} = {z:+.2f}")
print(f"y = {activation}(z) = {y:.2f}")
""",
    ),
    "dense_layer": Recipe(
        "import numpy as np\n\nfrom llm_core.activations import relu, silu\nfrom llm_core.ffn import linear, linear_terms",
        ("x0", "x1", "x2", "seed", "activation"),
        r"""
# A layer of 4 neurons on 3 inputs: y = x W + b. The page draws W and b from the seed, rounded to 0.1.
rng = np.random.default_rng(seed)
W = np.round(rng.normal(0.0, 0.8, (3, 4)), 1) + 0.0  # [d_in, d_out]
b = np.round(rng.normal(0.0, 0.5, 4), 1) + 0.0  # [d_out]
x = np.array([x0, x1, x2])

y = linear(x[None, :], W, b)[0]  # [1, 3] -> [1, 4] -> [4]
terms = linear_terms(x, W)  # terms[i, j] = x_i W_ij: each input's share of each output
print("W =\n", W, "\nb =", b)
for j in range(4):
    print(f"y{j + 1} = " + " + ".join(f"{t:.2f}" for t in terms[:, j]) + f" + {b[j]:.2f} = {y[j]:.2f}")
h = {"none": y, "relu": relu(y), "silu": silu(y)}[activation]
print(f"after {activation}:", np.round(h, 2))
""",
    ),
    "linear_collapse": Recipe(
        "import numpy as np\n\nfrom llm_core.activations import compose_linear, two_layers",
        ("seed", "between"),
        r"""
# Two linear layers (2 -> 3 -> 2) with `between` applied in the middle, against the single layer
# W = W2 W1, b = W2 b1 + b2 that two purely linear layers collapse into.
rng = np.random.default_rng(seed)
w1, b1 = rng.normal(size=(3, 2)) / np.sqrt(2), rng.normal(size=3) * 0.5
w2, b2 = rng.normal(size=(2, 3)) / np.sqrt(3), rng.normal(size=2) * 0.5
x = np.array([[a, b] for b in (1.0, 0.0, -1.0) for a in (-1.0, 0.0, 1.0)])  # a 3 x 3 grid of points

stacked = two_layers(x, w1, b1, w2, b2, between)  # [9, 2]
W, b = compose_linear(w1, b1, w2, b2)
single = x @ W.T + b
print("W =\n", np.round(W, 3), "\nb =", np.round(b, 3))
print(f"largest difference between the two routes with {between} between: {np.abs(stacked - single).max():.3g}")
""",
    ),
    "neg_log": Recipe(
        "from llm_core.loss import surprise",
        ("p",),
        r"""
# The loss of one prediction: -ln p, in nats, when the model gave the right token probability p.
print(f"p = {p}: loss = {surprise(p):.3f} nats")
for q in (1.0, 0.5, 0.25, 0.1, 0.01, 0.001):
    print(f"  p = {q:<6} -> {surprise(q):.3f} nats")
""",
    ),
    "param_counter": Recipe(
        "from llm_core.configs import CONFIGS, ArchConfig, arch_from_model, parameter_count, weights_bytes\n"
        "from llm_core.model import ModelConfig\nfrom llm_core.model_files import read_model_file",
        ("config", "d_model", "n_layer", "n_head", "n_kv_head", "d_ff", "n_vocab", "tied"),
        r"""
# Where a model's parameters are: embedding, attention and feed-forward matrices, norms, output layer.
tiny = ModelConfig.from_json(read_model_file("models/tiny", "config.json"))
configs = {"glassbox-tiny": arch_from_model(tiny, "Glassbox tiny model", "models/tiny/config.json"), **CONFIGS}
if config == "custom":  # the reader's own shape, Llama-style: RMSNorm, SwiGLU, RoPE, no biases, d_head = d_model // n_head
    cfg = ArchConfig("Custom (Llama-style)", d_model, n_layer, n_head, min(n_kv_head, n_head), max(1, d_model // n_head),
                     d_ff, n_vocab, 0, tied, "rmsnorm", "swiglu", "rope", "none", 10000.0, "your numbers")
else:
    cfg = configs[config]
counts = parameter_count(cfg)
total = counts["total"]
print(f"{cfg.name}: {total:,} parameters; one block holds {counts['per_layer']:,}")
for part in ("embedding", "position", "attention", "ffn", "norms", "lm_head"):
    print(f"  {part:>10}: {counts[part]:>15,}  {counts[part] / total:6.1%}")
print(f"the {cfg.n_layer} blocks hold {cfg.n_layer * counts['per_layer'] / total:.1%}; "
      f"at 16 bits a parameter the weights take {weights_bytes(cfg, bits=16) / 1e6:,.1f} MB")
""",
    ),
    "lora_rank": Recipe(
        "import numpy as np\n\nfrom llm_core.lora import lora_parameter_count, low_rank_approximation, low_rank_error\n"
        "from llm_core.model_files import load_model",
        ("layer", "matrix", "rank"),
        r"""
# How well a rank-r product A B (what LoRA trains) can stand in for a trained weight matrix W:
# the truncated SVD keeps the r largest singular values; the error follows from the ones left out.
model = load_model("models/tiny")
w = model.weights[f"layers.{layer}.{matrix}"].astype(np.float64)  # [d_in, d_out]
r = min(rank, *w.shape)
a, b, info = low_rank_approximation(w, r)  # a [d_in, r], b [r, d_out]
s = info["singular_values"]  # largest first
error = low_rank_error(s, r)
energy = np.cumsum(s**2) / np.sum(s**2)
print(f"layers.{layer}.{matrix} {w.shape}: singular values from {s[0]:.3f} down to {s[-1]:.4f}")
print(f"rank {r}: relative error |W - AB| / |W| = {error['relative']:.1%}, share of sum s^2 kept {error['energy']:.1%}"
      f" (90% needs rank {int(np.searchsorted(energy, 0.9)) + 1})")
# A random matrix of the same shape and size keeps far less at the same rank: trained weights are not random.
rng = np.random.default_rng(0)
s_rand = np.linalg.svd(rng.normal(0.0, np.sqrt(np.mean(w**2)), w.shape), compute_uv=False)
print(f"a random matrix, same shape, rank {r}: {np.sqrt(1 - np.sum(s_rand[:r] ** 2) / np.sum(s_rand**2)):.1%} error")
counts = lora_parameter_count(*w.shape, r)
print(f"numbers in A and B: {counts['lora']:,} vs {counts['full']:,} in W ({counts['fraction']:.1%})")
""",
    ),
    "scaling_map": Recipe(
        "from llm_core.scaling import TRAINED_MODELS, chinchilla_loss, compute_optimal, rule_of_thumb, training_flops",
        ("log10_params", "log10_tokens"),
        r"""
# Chinchilla's fitted loss L(N, D) for N parameters trained on D tokens, for published models and for yours,
# and what the same compute C = 6 N D would buy split the loss-minimising way or at 20 tokens per parameter.
for m in TRAINED_MODELS:
    print(f"{m.name:>22}: N {m.n_params:.3g}, D {m.n_tokens:.3g}, {m.n_tokens / m.n_params:,.0f} tokens/param, "
          f"fitted loss {chinchilla_loss(m.n_params, m.n_tokens):.3f}")
n, d = 10.0**log10_params, 10.0**log10_tokens
flops = training_flops(n, d)
print(f"\nyours: N {n:.3g}, D {d:.3g}: {d / n:,.0f} tokens/param, {flops:.3g} FLOPs, "
      f"fitted loss {chinchilla_loss(n, d):.3f}")
for name, split in (("fitted optimum", compute_optimal(flops)), ("20 tokens/param", rule_of_thumb(flops))):
    print(f"  same compute, {name}: N {split['n_params']:.3g}, D {split['n_tokens']:.3g}, loss {split['loss']:.3f}")
""",
    ),
    "parallelism_calculator": Recipe(
        "from llm_core.configs import CONFIGS, parameter_count\n"
        "from llm_core.parallelism import TRAINING_GPUS, Layout, communication_bytes, run_cost, step_time, "
        "training_memory",
        (
            "model",
            "gpu",
            "n_data",
            "n_tensor",
            "n_pipeline",
            "zero_stage",
            "recompute",
            "seq_len",
            "n_micro",
            "tokens_per_param",
            "mfu",
            "price",
        ),
        r"""
# Training a model on many GPUs: data x tensor x pipeline parallelism, ZeRO sharding, recomputation.
cfg, g = CONFIGS[model], TRAINING_GPUS[gpu]
layout = Layout(n_data=n_data, n_tensor=n_tensor, n_pipeline=n_pipeline, zero_stage=zero_stage,
                seq_len=seq_len, n_micro=n_micro, recompute=recompute)
memory = training_memory(cfg, layout)  # bytes on the busiest GPU
print(f"{cfg.name} on {layout.n_gpus:,} x {g.hardware.name}, {layout.tokens_per_step:,} tokens per step")
for part in ("weights", "gradients", "master", "adam", "activations", "total"):
    print(f"  {part:>11}: {memory[part] / 1e9:8.3g} GB")
print(f"  fits in {g.hardware.memory / 1e9:.0f} GB: {memory['total'] <= g.hardware.memory}")
sent, times = communication_bytes(cfg, layout), step_time(cfg, layout, g, mfu)
print(f"compute per step {times['compute']:.3g} s; sent per GPU per step: "
      + ", ".join(f"{k} {sent[k] / 1e9:.3g} GB ({times[k]:.3g} s)" for k in ("data", "tensor", "pipeline")))
n_params = parameter_count(cfg)["total"]
run = run_cost(n_params, tokens_per_param * n_params, layout.n_gpus, g.hardware.flops_per_s, mfu, price)
print(f"whole run on {tokens_per_param * n_params:.3g} tokens: {run['flops']:.3g} FLOPs, "
      f"{run['gpu_hours']:,.0f} GPU-hours, {run['days']:.3g} days, ${run['cost']:,.0f}")
""",
    ),
    "dpo_loss": Recipe(
        "import math\n\nfrom llm_core.model_files import load_model\nfrom llm_core.preference import dpo_loss, sequence_logprob",
        (
            "mode",
            "policy_chosen",
            "policy_rejected",
            "ref_chosen",
            "ref_rejected",
            "beta",
            "prompt",
            "chosen",
            "rejected",
        ),
        r"""
# DPO: loss = -log sigmoid(beta * (log ratio of the chosen answer - log ratio of the rejected one)),
# each log ratio log pi_theta(answer) - log pi_ref(answer), from four sequence log-probabilities.
if mode == "model":  # one model plays both parts: every log ratio is 0
    model = load_model("models/tiny")
    ids = model.encoding.encode(prompt)
    lp_c = sequence_logprob(model, ids, model.encoding.encode(chosen))[0]
    lp_r = sequence_logprob(model, ids, model.encoding.encode(rejected))[0]
    policy_chosen = ref_chosen = lp_c
    policy_rejected = ref_rejected = lp_r
out = dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=beta)
print(f"chosen:   log pi {policy_chosen:.2f}, log pi_ref {ref_chosen:.2f}, reward {float(out['reward_chosen']):+.3f}")
print(f"rejected: log pi {policy_rejected:.2f}, log pi_ref {ref_rejected:.2f}, reward {float(out['reward_rejected']):+.3f}")
print(f"margin {float(out['margin']):+.3f}, loss {out['loss']:.3f}, "
      f"P(chosen preferred) = {math.exp(-out['loss']):.1%}, gradient weight {float(out['grad_weight']):.3f}")
""",
    ),
    "reward_ranking": Recipe(
        "from llm_core.model_files import load_model\n"
        "from llm_core.preference import preference_matrix, reward_model_loss, sequence_logprob",
        ("mode", "prompt", "a", "b", "c", "d", "score_a", "score_b", "score_c", "score_d"),
        r"""
# A reward model gives each answer a score; Bradley-Terry turns two scores into the probability that
# one answer is preferred: P(i > j) = sigmoid(r_i - r_j).
answers = {"A": a, "B": b, "C": c, "D": d}
scores = [score_a, score_b, score_c, score_d]
if mode == "model":  # the tiny model's log-probability per token of each answer, standing in for a reward model
    model = load_model("models/tiny")
    ids = model.encoding.encode(prompt)
    conts = [model.encoding.encode(text) for text in answers.values()]
    scores = [sequence_logprob(model, ids, c)[0] / max(len(c), 1) for c in conts]
prefs = preference_matrix(scores)  # [4, 4]
for i, (name, text) in enumerate(answers.items()):
    print(f"{name}: score {scores[i]:+.3f}  " + " ".join(f"P({name}>{o}) {prefs[i, j]:.1%}"
          for j, o in enumerate(answers) if j != i) + f"  {text!r}")
pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)]  # A>B, A>C, ... as listed
loss = reward_model_loss([scores[i] for i, _ in pairs], [scores[j] for _, j in pairs])
print(f"reward-model loss if people preferred them in the listed order: {loss:.3f} "
      f"(a coin flip: {reward_model_loss([0.0], [0.0]):.3f})")
""",
    ),
    "backprop_step": Recipe(
        "import numpy as np\n\nfrom llm_core.backprop import chain_rule_w1, gradient_check, init_mlp, mlp_backward, "
        "mlp_forward, train_step",
        ("seed", "x1", "x2", "target", "lr", "step", "check"),
        r"""
# A 2-3-1 network (tanh hidden units, sigmoid output, squared error) trained on one example.
x, t = np.array([[x1, x2]]), np.array([[target]])
params = init_mlp(2, 3, 1, np.random.default_rng(seed))
for _ in range(step):  # forward, backward, update, `step` times
    params, loss, _, _ = train_step(params, x, t, lr)
_, trace = mlp_forward(params, x)
loss, grads = mlp_backward(params, trace, t)
print(f"step {step}: y = {trace['y'][0, 0]:.3f} (target {target}), loss {loss:.4g}")
for key in ("w1", "b1", "w2", "b2"):
    print(f"  {key}: {np.round(params[key], 3).tolist()}\n   grad {np.round(grads[key], 4).tolist()}")
# One weight's gradient as the chain rule writes it: dL/dy * dy/dz * dz/dh1 * dh1/dz1 * dz1/dw
factors = chain_rule_w1(params, trace, t, 0, 0)
print(" x ".join(f"{v:.3f}" for _, v in factors), f"= {np.prod([v for _, v in factors]):.4g}",
      f"= backprop's {grads['w1'][0, 0]:.4g}")
updated, _, _, _ = train_step(params, x, t, lr)  # every parameter w - lr * grad
loss_next, _ = mlp_backward(updated, mlp_forward(updated, x)[1], t)
print(f"after this step's update w - {lr} * grad: loss {loss_next:.4g}")
if check:  # central finite differences against backprop
    worst = max(entry["max_abs_diff"] for entry in gradient_check(params, x, t).values())
    print(f"largest difference from finite differences: {worst:.2g}")
""",
    ),
    "model_pass": Recipe(
        "import numpy as np\n\nfrom llm_core.activations import softmax\nfrom llm_core.model_files import load_model",
        ("prompt", "step", "temperature", "seed"),
        r"""
# The loop: `step` tokens already appended (forward pass, sample, append), then the pass that picks the next one.
model = load_model("models/tiny")
ids = model.encoding.encode(prompt)
out = model.generate(ids, step + 1, temperature=temperature, seed=seed)
sequence = ids + out["new_ids"][:step]
print(f"{len(sequence)} tokens: {model.encoding.decode(sequence)!r}")
logits, trace = model.forward(sequence, trace=True)  # [n_seq, n_vocab]; the trace holds what happened inside
embedding = trace["embeddings"][-1]  # [d_model]: the last token's row of the embedding table
print(f"its embedding ({len(embedding)} numbers, size {np.linalg.norm(embedding):.2f}) starts", np.round(embedding[:8], 3))
for layer in range(model.cfg.n_layer):
    stream = trace["residual"][2 * layer + 2, -1]  # the residual stream after this block
    lens = softmax(trace["logit_lens"][layer, -1])  # that stream read out as if it were the last block's
    guess = int(np.argmax(lens))
    print(f"block {layer}: |stream| {np.linalg.norm(stream):6.2f}, "
          f"reads as {model.encoding.decode([guess])!r} ({lens[guess]:.1%})")
probs = softmax(logits[-1])  # [n_vocab]
for i in np.argsort(-probs, kind="stable")[:5]:
    print(f"  {model.encoding.decode([int(i)])!r:>14}  {probs[i]:.1%}")
token = out["new_ids"][step]
print(f"drawn: {model.encoding.decode([token])!r}, probability {probs[token]:.1%} "
      f"({out['steps'][-1]['prob']:.1%} at temperature {temperature})")
""",
    ),
    "block_walk": Recipe(
        "import numpy as np\n\nfrom llm_core.model_files import load_model\nfrom llm_core.norms import rms_norm",
        ("prompt", "layer", "position"),
        r"""
# One block, step by step, for one token: norm, attention, add, norm, SwiGLU feed-forward, add.
model = load_model("models/tiny")
ids = model.encoding.encode(prompt)
pos = min(position, len(ids) - 1)
_, trace = model.forward(ids[: pos + 1], trace=True, lens=False)  # causal: tokens after pos change nothing
w = {name: model.weights[f"layers.{layer}.{name}"] for name in ("attn_norm", "wo", "ffn_norm", "w_down")}
attn, ffn = trace["layers"][layer]["attn"], trace["layers"][layer]["ffn"]
eps = model.cfg.norm_eps
x = trace["residual"][2 * layer][pos]  # [d_model]: the stream entering the block
a = rms_norm(x, w["attn_norm"], eps)
attn_out = attn["heads"][:, pos, :].reshape(-1) @ w["wo"]  # [n_head * d_head] @ [.., d_model]
x_mid = trace["residual"][2 * layer + 1][pos]  # = x + attn_out
f = rms_norm(x_mid, w["ffn_norm"], eps)
ffn_out = ffn["hidden"][pos] @ w["w_down"]  # [d_ff] @ [d_ff, d_model]
x_out = trace["residual"][2 * layer + 2][pos]  # = x_mid + ffn_out
print(f"layer {layer}, token {pos} {model.encoding.decode([ids[pos]])!r}: the size |v| of its vector after each step")
for name, v in (("stream in", x), ("RMSNorm", a), ("attention", attn_out), ("add", x_mid),
                ("RMSNorm", f), ("SwiGLU FFN", ffn_out), ("add: stream out", x_out)):
    print(f"  {name:>16}: {np.linalg.norm(v):.2f}")
print(f"the adds check: {np.abs(x + attn_out - x_mid).max():.1g} and {np.abs(x_mid + ffn_out - x_out).max():.1g}")
""",
    ),
    "attention_maps": Recipe(
        "import numpy as np\n\nfrom llm_core.attention import attention_distance\nfrom llm_core.model_files import load_model",
        ("prompt", "layer", "head", "model"),
        r"""
# Every head of every layer in one traced pass: attention [n_layer, n_head, n_seq, n_seq], each row a
# query's weights over the keys. Each head summed up: its average weight on the previous token, the first
# token and the query itself, and how far back it looks on average (queries from position 1 on).
m = load_model("models/tiny")
ids = m.encoding.encode(prompt)[-64:]  # the figure reads the last 64 tokens
_, trace = m.forward(ids, trace=True, lens=False)
att = trace["attention"]
group = m.cfg.n_head // m.cfg.n_kv_head  # query heads per key/value head
for l in range(m.cfg.n_layer):
    for h in range(m.cfg.n_head):
        w = att[l, h]  # [n_seq, n_seq]
        prev, first, own = np.diagonal(w, -1).mean(), w[1:, 0].mean(), np.diagonal(w)[1:].mean()
        mark = "  <- the chosen head" if (l, h) == (layer, head) else ""
        print(f"layer {l} head {h} (kv {h // group}): previous {prev:6.1%}, first {first:6.1%}, itself {own:6.1%}, "
              f"distance {attention_distance(w)[1:].mean():4.1f}{mark}")
w = att[layer, head]
print(f"\nlayer {layer}, head {head}: where each token looks most")
for i in range(len(ids)):
    j = int(np.argmax(w[i, : i + 1]))
    print(f"  {m.encoding.decode([ids[i]])!r:>12} -> {m.encoding.decode([ids[j]])!r:<12} {w[i, j]:.1%}")
""",
    ),
    "bpe_train": Recipe(
        "from llm_core.bpe_train import train\nfrom llm_core.tokenizer import get_encoding",
        ("text", "vocab_size", "test"),
        r"""
# Train a byte-level BPE: from the 256 bytes, merge the most frequent adjacent pair until vocab_size.
enc, merges = train(text, vocab_size)
print(f"{len(merges)} merges learned from {len(text):,} characters; vocabulary {256 + len(merges)}")
for m in merges[:16]:
    left, right = (m[k].decode("utf-8", errors="replace") for k in ("left", "right"))
    print(f"  rank {m['rank']}: {left!r} + {right!r} ({m['count']} times)")
n_bytes = len(test.encode("utf-8"))
for name, e in (("yours", enc), ("o200k_base", get_encoding("o200k_base"))):
    ids = e.encode(test)
    pieces = [b.decode("utf-8", errors="replace") for b in e.decode_tokens_bytes(ids)]
    print(f"{name}: {len(ids)} tokens, {n_bytes / max(len(ids), 1):.2f} bytes per token: {' | '.join(pieces)}")
""",
    ),
    "serving_sim": Recipe(
        "from llm_core.configs import CONFIGS, arch_from_model, parameter_count, weights_bytes\n"
        "from llm_core.kv_cache import kv_bytes_per_token\nfrom llm_core.model import ModelConfig\n"
        "from llm_core.model_files import read_model_file\n"
        "from llm_core.serving import HARDWARE, Hardware, compute_bound_batch, decode_step, simulate",
        ("model", "precision", "hardware", "bandwidth_gbs", "tflops", "prompt_tokens", "output_tokens", "batch"),
        r"""
# Serving a model: the prefill reads the prompt in one pass (time to first token), then every decode step
# reads all the weights and the KV cache once for one new token per request: memory-bound at small batches.
if model == "tiny":
    cfg = arch_from_model(ModelConfig.from_json(read_model_file("models/tiny", "config.json")), "Glassbox tiny model", "")
else:
    cfg = CONFIGS[model]
bits, group = {"fp32": (32, None), "bf16": (16, None), "int8": (8, 32), "int4": (4, 32)}[precision]
hw = HARDWARE[hardware] if hardware != "custom" else Hardware("yours", bandwidth_gbs * 1e9, tflops * 1e12, float("inf"), "")
n_params = parameter_count(cfg)["total"]
w_bytes = weights_bytes(cfg, bits=bits, group_size=group, scale_bytes=2)
kv = kv_bytes_per_token(cfg, 2)  # the KV cache in 16 bits
n_out = min(output_tokens, cfg.n_ctx - 1)
n_prompt = min(prompt_tokens, cfg.n_ctx - n_out)
run = simulate(n_params, w_bytes, kv, n_prompt, n_out, batch, hw)
decode = run["total_seconds"] - run["ttft"]
print(f"{cfg.name} in {precision} on {hw.name}: weights {w_bytes / 1e9:.3g} GB, KV cache {kv:,} bytes per position")
print(f"{batch} x ({n_prompt:,} prompt + {n_out} new tokens): first token after {run['ttft'] * 1000:.3g} ms, "
      f"all after {run['total_seconds']:.3g} s, {(n_out - 1) / decode:.1f} tokens/s per request")
for b in (1, 4, 16, 64, 256):
    s = decode_step(w_bytes, kv, n_params, [n_prompt + 1] * b, hw.bandwidth, hw.flops_per_s)
    print(f"  batch {b:>3}: {s['tokens_per_s']:8.1f} tokens/s each, {s['aggregate_tokens_per_s']:9.1f} in all "
          f"({s['bound']}-bound)")
crossover = compute_bound_batch(w_bytes, kv, n_params, n_prompt + 1, hw.bandwidth, hw.flops_per_s)
print(f"compute-bound from a batch of {crossover:,}" if crossover else "memory-bound at every batch size")
""",
    ),
    "rope_rotation": Recipe(
        "import numpy as np\n\nfrom llm_core.model_files import load_model\nfrom llm_core.norms import rms_norm\n"
        "from llm_core.rope import apply_rope, pair_dots, rope_angles, rope_frequencies",
        ("prompt", "layer", "head", "q_token", "k_token", "pair", "m", "n"),
        r"""
# RoPE turns each pair of a query's (and a key's) dimensions by position x the pair's frequency, so the
# score q_m . k_n depends on the offset m - n only.
model = load_model("models/tiny")
cfg = model.cfg
ids = model.encoding.encode(prompt)
qi, ki = min(q_token, len(ids) - 1), min(k_token, len(ids) - 1)
_, trace = model.forward(ids, trace=True, lens=False)
x = rms_norm(trace["residual"][2 * layer], model.weights[f"layers.{layer}.attn_norm"], cfg.norm_eps)  # [n_seq, d_model]
kv_head = head // (cfg.n_head // cfg.n_kv_head)
q = (x[qi] @ model.weights[f"layers.{layer}.wq"][:, head * cfg.d_head : (head + 1) * cfg.d_head]).astype(np.float64)
k = (x[ki] @ model.weights[f"layers.{layer}.wk"][:, kv_head * cfg.d_head : (kv_head + 1) * cfg.d_head]).astype(np.float64)
freqs = rope_frequencies(cfg.d_head, cfg.rope_base)  # [d_head / 2]
half = cfg.d_head // 2
angle_m, angle_n = rope_angles([m, n], freqs)[:, pair]
print(f"pair {pair} (dimensions {pair} and {pair + half}) turns {freqs[pair]:.4f} radians per position: "
      f"the query by {angle_m:.3f} at position {m}, the key by {angle_n:.3f} at position {n}")
print("query pair before and after:", np.round(q[[pair, pair + half]], 3), np.round(apply_rope(q[None], [m], freqs)[0][[pair, pair + half]], 3))


def score(m, n):  # q turned to position m . k turned to position n, / sqrt(d_head)
    return pair_dots(q, k, m, n, freqs).sum() / np.sqrt(cfg.d_head)


print(f"score at m = {m}, n = {n}: {score(m, n):.6f}")
for start in (0, 100, 200):  # the same offset m - n elsewhere: the same score
    print(f"  at m = {start + m - n}, n = {start}: {score(start + m - n, start):.6f}")
""",
    ),
    "cached_generation": Recipe(
        "from llm_core.generation import prefill\nfrom llm_core.kv_cache import kv_bytes_per_token\n"
        "from llm_core.model import forward\nfrom llm_core.model_files import load_model\n"
        "from llm_core.sampling import as_generator, sample",
        ("prompt", "n_tokens", "temperature", "seed", "compare"),
        r"""
# The same continuation two ways, with the same seeded sampler. With the KV cache: one pass over the prompt
# (prefill), then each step feeds only the newest token. Without: every step reruns the whole sequence.
model = load_model("models/tiny")
ids = model.encoding.encode(prompt)[-32:]
rng, cached = as_generator(seed), []
cache, logits = prefill(model, ids)  # cache of len(ids) positions, logits [n_vocab]
for step in range(n_tokens):
    if step:
        logits = forward(model.weights, model.cfg, [cached[-1]], cache=cache, logits_to_keep=1)[0][-1]
    cached.append(sample(logits, temperature, rng=rng)["token"])
print(f"with the cache:    {model.encoding.decode(cached)!r}")
print(f"  positions computed: {len(ids) + n_tokens - 1} ({len(ids)} in the prefill, then 1 per step)")
print(f"  the cache holds {cache.nbytes:,} bytes ({kv_bytes_per_token(model.cfg, 4):,} per position, float32)")
if compare:
    rng, seq = as_generator(seed), list(ids)
    for _ in range(n_tokens):
        logits, _ = forward(model.weights, model.cfg, seq, logits_to_keep=1)  # the whole sequence, every step
        seq.append(sample(logits[-1], temperature, rng=rng)["token"])
    print(f"without the cache: {model.encoding.decode(seq[len(ids):])!r}")
    print(f"  positions computed: {sum(len(ids) + k for k in range(n_tokens))}; identical: {seq[len(ids):] == cached}")
""",
    ),
    "quantized_model": Recipe(
        "import io\n\nimport numpy as np\n\nfrom llm_core.checkpoints import pack_weights, total_error, unpack_weights\n"
        "from llm_core.generation import generate\nfrom llm_core.loss import cross_entropy, perplexity\n"
        "from llm_core.model import Model\nfrom llm_core.model_files import load_model, read_model_file",
        ("prompt", "n_tokens", "format", "group_size"),
        r"""
# Every weight of the tiny model stored as `format` (one fp16 scale per group of `group_size` weights),
# read back, and put to work: greedy continuations and perplexity on held-out text, against the original.
model = load_model("models/tiny")
arrays, errors = pack_weights(model.weights, format, group_size)
quantized = Model(model.cfg, unpack_weights(arrays), model.encoding)
stored = sum(a.nbytes for key, a in arrays.items() if not key.endswith(".shape"))
fp32 = 4 * sum(w.size for w in model.weights.values())
print(f"{format}: {stored / 1e6:.2f} MB instead of {fp32 / 1e6:.2f} MB in fp32; "
      f"relative weight error {total_error(model.weights, errors)['relative']:.2%}")
ids = model.encoding.encode(prompt)
for name, m in (("original", model), (format, quantized)):
    print(f"{name:>9}: {m.encoding.decode(generate(m, ids, n_tokens, temperature=0)['new_ids'])!r}")
windows = np.load(io.BytesIO(read_model_file("models/tiny", "val_windows.npy")))[[0, 32, 64, 96], :129]
for name, m in (("original", model), (format, quantized)):
    losses = [cross_entropy(m.forward(w[:-1])[0], w[1:].astype(np.int64))[1] for w in windows]
    print(f"{name:>9}: perplexity {perplexity(float(np.mean(np.concatenate(losses)))):.2f} "
          f"on {windows[:, 1:].size} held-out tokens")
""",
    ),
    "checkpoint_samples": Recipe(
        "import json\n\nimport numpy as np\n\nfrom llm_core.loss import cross_entropy, perplexity\n"
        "from llm_core.model_files import load_model, read_model_file",
        ("checkpoint", "prompt", "seed", "temperature", "n_tokens"),
        r"""
# The tiny model at snapshots saved during its training: what each writes, and its loss on the prompt.
snaps = json.loads(read_model_file("models/tiny", "curves.json"))["checkpoints"]  # in step order, final last
ids = None
for i, snap in enumerate(snaps):
    model = load_model("models/tiny", weights_file=snap["file"])
    ids = ids or model.encoding.encode(prompt)
    logits, _ = model.forward(ids[-64:])
    loss, _ = cross_entropy(logits[:-1], np.array(ids[-64:][1:]))
    mark = "  <- shown" if i == checkpoint else ""
    print(f"step {snap['step']:>5}: loss on the prompt {loss:.2f} nats, perplexity {perplexity(loss):,.1f}{mark}")
    if i == checkpoint:
        out = model.generate(ids, n_tokens, temperature=temperature, seed=seed)
        print(f"    writes: {out['text']!r} (validation loss {snap['val_loss']:.3f})")
""",
    ),
    "diagnose": Recipe(
        "from llm_core.model_files import load_model",
        ("scenario", "lens"),
        r"""
# Two of the scenarios come with the tiny model showing the effect: greedy decoding repeating itself
# ("repeat"), and the same prompt sampled with three seeds ("vary"). A token counts as repeated when it ends
# a 3-token phrase that already occurred earlier in the prompt or the answer.
model = load_model("models/tiny")


def run(prompt, n_tokens, temperature, seed):
    ids = model.encoding.encode(prompt)
    out = model.generate(ids, n_tokens, temperature=temperature, seed=seed)
    seq = ids + out["new_ids"]
    seen, repeats = set(), 0
    for i in range(2, len(seq)):
        gram = tuple(seq[i - 2 : i + 1])
        repeats += i >= len(ids) and gram in seen
        seen.add(gram)
    print(f"temperature {temperature}, seed {seed}: {repeats} of {n_tokens} new tokens repeat a phrase: {out['text']!r}")


if scenario == "repeat":
    run("Our relations with", 32, 0.0, 0)
    run("Our relations with", 16, 0.8, 0)
elif scenario == "vary":
    for seed in (0, 1, 2):
        run("The state of the Union is", 8, 1.0, seed)
else:
    print(f"the {scenario!r} scenario has no model demonstration")
""",
    ),
    "training_curves": Recipe(
        "import json\nimport math\n\nfrom llm_core.loss import perplexity\nfrom llm_core.model import ModelConfig, n_params\n"
        "from llm_core.model_files import read_model_file\nfrom llm_core.scaling import training_flops",
        ("step", "axis"),
        r"""
# The tiny model's training run as its training script logged it: the loss on the training batches and on
# held-out validation text, step by step (curves.json).
curves = json.loads(read_model_file("models/tiny", "curves.json"))
cfg = ModelConfig.from_json(read_model_file("models/tiny", "config.json"))
train, val = curves["train"], curves["val"]
tokens_per_step = train["tokens"][0] // train["step"][0]
for name, c in (("training", train), ("validation", val)):
    i = min(range(len(c["step"])), key=lambda j: (abs(c["step"][j] - step), c["step"][j]))  # the logged point nearest
    print(f"{name} loss at step {c['step'][i]:,}: {c['loss'][i]:.3f} nats, perplexity {perplexity(c['loss'][i]):.1f}")
n = n_params(cfg)
print(f"by step {step:,}: {step * tokens_per_step:,} tokens seen, {step * tokens_per_step / n:.2f} per parameter, "
      f"{training_flops(n, step * tokens_per_step):.2g} FLOPs; a uniform guess scores ln {cfg.n_vocab} = "
      f"{math.log(cfg.n_vocab):.2f} nats")
for k in curves["checkpoints"]:
    print(f"  checkpoint at step {k['step']:>5,}: validation loss {k['val_loss']:.3f}, saved as {k['format']}")
""",
    ),
    "benchmark_run": Recipe(
        "import json\n\nfrom llm_core.evaluation import accuracy, choice_logprobs, pick_choices\n"
        "from llm_core.model_files import load_model, read_model_file",
        ("item", "context", "choices"),
        r"""
# A multiple-choice benchmark as evaluation harnesses run it: score each choice by log p(choice | context);
# acc picks the highest total, acc_norm the highest per character.
model = load_model("models/tiny")
bench = json.loads(read_model_file("models/tiny", "sotu_cloze.json"))
acc, norm = [], []
for n, it in enumerate(bench["items"], 1):
    logprobs = [s["logprob"] for s in choice_logprobs(model, it["context"], it["choices"])]
    picks = pick_choices(logprobs, [len(c) for c in it["choices"]])
    acc.append(picks["acc"] == it["answer"])
    norm.append(picks["acc_norm"] == it["answer"])
    if n == item:
        print(f"item {n}: {it['context']!r}")
        for j, (c, lp) in enumerate(zip(it["choices"], logprobs)):
            print(f"  {'right' if j == it['answer'] else '     '} {c!r:>30}: log p {lp:7.2f}, per character {lp / len(c):.3f}")
for name, right in (("acc", acc), ("acc_norm", norm)):
    a = accuracy(right)
    print(f"{name}: {sum(right)} of {a['n']} right: {a['acc']:.1%} ± {a['stderr']:.1%}")
if choices.strip():  # the reader's own item: the choices split at |, the right one first
    own = [c.strip() for c in choices.split("|") if c.strip()]
    print("yours:", {c: round(s["logprob"], 2) for c, s in zip(own, choice_logprobs(model, context, own))})
""",
    ),
    "speculative": Recipe(
        "from llm_core.model import Model, ModelConfig\nfrom llm_core.model_files import load_model, load_weights, "
        "read_model_file\nfrom llm_core.speculative import expected_tokens_per_pass, speculative_generate",
        ("prompt", "n_tokens", "k", "temperature", "seed"),
        r"""
# Speculative decoding: a small draft model proposes k tokens, the tiny model checks them all in one pass
# and keeps each with probability min(1, p / q); the text has the tiny model's own distribution.
target = load_model("models/tiny")
draft = Model(ModelConfig.from_json(read_model_file("models/draft", "config.json")),
              load_weights(read_model_file("models/draft", "weights.npz")), target.encoding)
ids = target.encoding.encode(prompt)
out = speculative_generate(target, draft, ids, n_tokens, k=k, temperature=temperature, rng=seed)
for r in out["rounds"]:
    kept = [c["accepted"] for c in r["checks"]]
    print(f"round: drafts {kept} -> {target.encoding.decode(r['tokens'])!r}")
tested = sum(c["accepted"] is not None for r in out["rounds"] for c in r["checks"])
rate = out["accepted"] / tested if tested else 0.0
print(f"drafted {out['drafted']}, tested {tested}, kept {out['accepted']}: acceptance rate {rate:.1%}")
print(f"{n_tokens} tokens in {out['target_passes']} target passes: {n_tokens / out['target_passes']:.2f} per pass "
      f"(closed form {expected_tokens_per_pass(rate, k):.2f})")
""",
    ),
    "flash_tiles": Recipe(
        "import numpy as np\n\nfrom llm_core.attention import causal_mask, scaled_dot_product_attention\n"
        "from llm_core.flash_attention import FULL, SKIPPED, flash_attention\nfrom llm_core.model import forward\n"
        "from llm_core.model_files import load_model",
        ("prompt", "layer", "head", "block", "query", "tiles", "log2_seq"),
        r"""
# FlashAttention: attention computed tile by tile (block x block positions) with the online softmax, never
# holding the whole n_seq x n_seq score matrix, and giving the same output as plain attention.
model = load_model("models/tiny")
w64 = {name: w.astype(np.float64) for name, w in model.weights.items()}  # float64, as the figure runs it
ids = model.encoding.encode(prompt)[-64:]
n = len(ids)
_, trace = forward(w64, model.cfg, ids, trace=True, lens=False)
attn = trace["layers"][layer]["attn"]
kv = head // (model.cfg.n_head // model.cfg.n_kv_head)
q, k, v = attn["q"][head], attn["k"][kv], attn["v"][kv]  # [n_seq, d_head] each, after RoPE
qi = min(query, n - 1)
out, tiled = flash_attention(q, k, v, block, block, causal=True, watch=qi)
plain, _ = scaled_dot_product_attention(q, k, v, causal_mask(n))
status = tiled["tiles"]  # [n_row_tiles, n_col_tiles]
n_full, n_skipped = int((status == FULL).sum()), int((status == SKIPPED).sum())
print(f"{status.size} tiles: {n_full} computed in full, {status.size - n_full - n_skipped} on the diagonal, "
      f"{n_skipped} skipped")
for t, s in enumerate(tiled["row"], 1):  # query qi's row, one key tile at a time
    gap = np.linalg.norm(s["out"] - plain[qi]) / np.linalg.norm(plain[qi])
    print(f"  tile {t}: running max m {s['m']:.2f}, sum l {s['l']:.3f}, distance from the exact output {gap:.1%}")
print(f"largest difference from plain attention: {np.abs(out - plain).max():.1e}")
""",
    ),
    "moe_router": Recipe(
        "import numpy as np\n\nfrom llm_core.model_files import load_model\n"
        "from llm_core.moe import expert_outputs, load_balancing_loss, moe_swiglu, router_logits, split_ffn, "
        "top_k_routing\nfrom llm_core.norms import rms_norm",
        ("text", "layer", "n_experts", "top_k", "router"),
        r"""
# The tiny model's dense FFN cut into n_experts groups of hidden neurons ("experts"); a router picks the
# top_k groups per token, and only those run. How much of the dense output does that keep?
model = load_model("models/tiny")
ids = model.encoding.encode(text)[:64]
_, trace = model.forward(ids, trace=True, lens=False)
x = rms_norm(trace["residual"][2 * layer + 1], model.weights[f"layers.{layer}.ffn_norm"], model.cfg.norm_eps)
x = x.astype(np.float64)  # [n_seq, d_model]: what the layer's FFN reads
w = {k: model.weights[f"layers.{layer}.{k}"].astype(np.float64) for k in ("w_gate", "w_up", "w_down")}
experts = split_ffn(w["w_gate"], w["w_up"], w["w_down"], n_experts)
outputs = expert_outputs(x, experts)  # [n_seq, n_expert, d_model]: every group on every token
if router == "oracle":  # each group's output size (knows the answer: an upper bound for a router)
    logits = np.linalg.norm(outputs, axis=-1)
elif router == "gate":  # the size of the group's SiLU(gate)
    gate = np.einsum("sd,edf->sef", x, experts["w_gate"])
    logits = np.linalg.norm(gate / (1 + np.exp(-gate)), axis=-1)
else:  # an untrained linear router
    logits = router_logits(x, np.random.default_rng(0).normal(0, x.shape[1] ** -0.5, (x.shape[1], n_experts)))
chosen, weights, probs = top_k_routing(logits, top_k)  # [n_seq, k], [n_seq, k], [n_seq, n_expert]
dense, _ = moe_swiglu(x, experts, np.tile(np.arange(n_experts), (len(ids), 1)), np.ones((len(ids), n_experts)))
out, per_expert = moe_swiglu(x, experts, chosen, np.ones_like(weights))  # the chosen groups, added at weight 1
for t in range(min(8, len(ids))):
    print(f"{model.encoding.decode([ids[t]])!r:>12}: experts {chosen[t].tolist()}, "
          f"error {np.linalg.norm(out[t] - dense[t]) / np.linalg.norm(dense[t]):.1%}")
loss, f, p = load_balancing_loss(probs, chosen)
print(f"{len(ids)} tokens: error of the whole output {np.linalg.norm(out - dense) / np.linalg.norm(dense):.1%}; "
      f"tokens per expert {per_expert.tolist()}; load-balancing loss {loss:.3f}")
""",
    ),
    "trainer": Recipe(
        "import math\n\nimport numpy as np\n\nfrom llm_core import bpe_train\n"
        "from llm_core.model import Model, ModelConfig, n_params, random_weights\n"
        "from llm_core.model_files import read_model_file\nfrom llm_core.train import TrainConfig, mean_loss, training_run",
        ("source", "text", "tokenizer", "d_model", "n_layer", "n_head", "n_ctx", "lr", "steps", "seed", "prompt", "at"),
        r"""
# Train a small model from random weights on a text, with AdamW: `at` steps of a `steps`-step schedule
# (warm-up, then cosine decay), 8 random windows of n_ctx tokens a step. The text's last tenth is held out.
if source != "own":
    text = read_model_file("texts", {"washington": "washington-1790.txt", "lincoln": "lincoln-1862.txt"}[source]).decode()
enc, _ = bpe_train.train(text, 384 if tokenizer == "bpe" else 256)  # bytes: no merges
ids = np.array(enc.encode(text), dtype=np.int64)
n_held = max(n_ctx + 1, round(0.1 * len(ids)))
train_ids, held = ids[:-n_held], ids[-n_held:]
starts = np.unique(np.linspace(0, len(held) - n_ctx - 1, 8).round().astype(np.int64))
windows = held[starts[:, None] + np.arange(n_ctx + 1)]  # [n_windows, n_ctx + 1]: the same held-out windows each time
cfg = ModelConfig(n_vocab=enc.n_vocab, n_ctx=n_ctx, d_model=d_model, n_layer=n_layer, n_head=n_head,
                  n_kv_head=max(1, n_head // 2), d_head=d_model // n_head, d_ff=3 * d_model)
weights = random_weights(cfg, seed)
hp = TrainConfig(steps=steps, lr=lr, warmup=max(1, steps // 10))
print(f"{len(ids):,} tokens ({len(train_ids):,} to train on), {n_params(cfg):,} parameters; "
      f"before training: held-out loss {mean_loss(weights, cfg, windows[:, :-1], windows[:, 1:]):.3f}")
run = training_run(weights, cfg, train_ids, hp, 8, np.random.default_rng(seed), 2 * math.log(cfg.n_vocab))
for step, weights, stats in run:
    if step % 10 == 0 or step == at:
        print(f"step {step:>4}: training loss {stats['loss']:.3f}, gradient norm {stats['grad_norm']:.3f}, "
              f"held-out loss {mean_loss(weights, cfg, windows[:, :-1], windows[:, 1:]):.3f}")
    if step >= at or "stopped" in stats:
        break
model = Model(cfg, weights, enc)
out = model.generate(enc.encode(prompt), 24, temperature=0.8, seed=seed)
print(f"{prompt!r} ->", repr(enc.decode_bytes(out["new_ids"]).decode("utf-8", "replace")))
""",
    ),
    "gguf_blocks": Recipe(
        "import numpy as np\n\nfrom llm_core import gguf\nfrom llm_core.model_files import load_model",
        ("model", "tensor", "layer", "row", "block"),
        r"""
# llama.cpp's GGUF stores a matrix row by row (one row per output), each row cut into blocks of 32 weights
# with their own fp16 scale. The tiny model's matrix stored as SmolLM2's file stores its own: Q8_0 for the
# embedding table (d, then 32 int8 codes), Q4_1 for the matrices (d, a minimum m, 32 4-bit codes).
tiny = load_model("models/tiny")
if tensor == "token_embd":
    kind, rows = "Q8_0", gguf.quantize_q8_0(tiny.weights["tok_emb"])
else:
    ours = {v: k for k, v in gguf.LLAMA_LAYER_TENSORS.items()}[tensor]
    w = tiny.weights[f"layers.{layer}.{ours}"].T  # [d_in, d_out] -> [d_out, d_in]: a row per output
    if ours in ("wq", "wk"):  # query and key rows in llama.cpp's neighbour-pair RoPE order
        w = gguf.rope_rows_to_pairs(w, tiny.cfg.n_head if ours == "wq" else tiny.cfg.n_kv_head)
    kind, rows = "Q4_1", gguf.quantize_q4_1(w)
size = {"Q8_0": 34, "Q4_1": 20}[kind]  # bytes per block of 32 weights
r, b = min(row, len(rows) - 1), min(block, rows.shape[1] // size - 1)
raw = rows[r, b * size : (b + 1) * size]  # uint8 [size]: the block as stored
print(f"{tensor} as {kind}, row {r}, block {b}: bytes", " ".join(f"{x:02x}" for x in raw))
d = float(raw[0:2].view("<f2")[0])
if kind == "Q4_1":
    m = float(raw[2:4].view("<f2")[0])
    q = gguf.unpack_nibbles(raw[4:])  # 16 bytes -> 32 codes 0..15 (low nibbles first)
    print(f"d = {d:.5g}, m = {m:.5g}; weight = d * q + m")
else:
    q = raw[2:].view(np.int8)
    print(f"d = {d:.5g}; weight = d * q")
values = gguf.DEQUANTIZE[kind](raw)  # float32 [32]
print("codes  ", q.tolist())
print("weights", [f"{v:.5g}" for v in values.tolist()])
# The whole tensor as the model runs it (dequantized), quantized again in each format: what each loses.
w = gguf.DEQUANTIZE[kind](rows)
rms = np.sqrt(np.mean(np.square(w, dtype=np.float64)))
for fmt, quantize, dequantize in (("F16", lambda x: x.astype("<f2").view(np.uint8), gguf.dequantize_f16),
                                  ("Q8_0", gguf.quantize_q8_0, gguf.dequantize_q8_0),
                                  ("Q4_0", gguf.quantize_q4_0, gguf.dequantize_q4_0),
                                  ("Q4_1", gguf.quantize_q4_1, gguf.dequantize_q4_1)):
    diff = dequantize(quantize(w)).astype(np.float64) - w
    print(f"{fmt:>5}: RMS error {np.sqrt(np.mean(diff**2)) / rms:.1%} of the weights' RMS, "
          f"largest {np.abs(diff).max() / rms:.1%}")
""",
    ),
    "chat": Recipe(
        "from llm_core.bpe_merges import load_merges_encoding\nfrom llm_core.chat import ChatTemplate, encode_chat",
        ("model", "message", "system", "history", "temperature", "top_p", "seed", "max_new_tokens"),
        r"""
# A chat model reads one prompt: the conversation put through its chat template (ChatML for SmolLM2),
# control tokens <|im_start|> and <|im_end|> marking whose turn it is, ending with the assistant's turn.
# Here with SmolLM2's tokenizer; writing the answer needs SmolLM2's weights (98 MB), which the page loads.
encoding = load_merges_encoding("models/smollm2/tokenizer.json", "SmolLM2")
template = ChatTemplate("You are a helpful AI assistant named SmolLM, trained by Hugging Face")  # its default system turn
messages = ([{"role": "system", "content": system}] if system else []) + history + [{"role": "user", "content": message}]
prompt = encode_chat(encoding, template, messages, add_generation_prompt=True)
print(prompt["text"])
print(f"{len(prompt['ids'])} tokens:", prompt["ids"])
print(f"Settings: temperature {temperature:.2f}, top-p {top_p:.2f}, seed {seed}, up to {max_new_tokens} new tokens.")
""",
    ),
}

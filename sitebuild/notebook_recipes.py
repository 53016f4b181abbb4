"""Each figure's notebook cell, by widget: the llm_core calls its compute() makes, written for a student.

A recipe is the cell's imports, the names of the widget parameters it reads (the notebook assigns each
from the chapter's inputs, `name = value`, above the body) and the body, which prints what the figure
shows. Every recipe runs in tests/build/test_notebooks.py, on every chapter that places its widget.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Recipe:
    imports: str
    inputs: tuple[str, ...]
    body: str


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
        "from llm_core.tokenizer import get_encoding",
        ("text",),
        r"""
# The same text through three of OpenAI's tokenizers: how many tokens each needs, and where it cuts.
for name in ("o200k_base", "cl100k_base", "r50k_base"):
    enc = get_encoding(name)
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
        "from llm_core.configs import CONFIGS\nfrom llm_core.kv_cache import attention_variants, kv_bytes_per_token, "
        "kv_cache_bytes",
        ("model", "log2_context", "batch", "precision"),
        r"""
# The KV cache of a real model: 2 (K and V) x layers x KV heads x d_head values per token, for the
# published GQA and for the same model with multi-head (MHA) and multi-query (MQA) attention.
bytes_per_value = {"fp32": 4, "fp16": 2, "int8": 1, "int4": 0.5}[precision]
cfg = CONFIGS[model]
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
}

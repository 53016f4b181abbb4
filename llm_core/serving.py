"""Serving: how fast a model answers, estimated from the hardware's memory bandwidth and FLOP/s.

Generating text has two phases. **Prefill** reads the whole prompt in one forward pass: about
2 N FLOPs per token for N parameters (one multiply and one add per weight; Kaplan et al. 2020,
arXiv:2001.08361, section 2.1), so for P prompt tokens it is compute-bound:

    prefill seconds = 2 N P / (FLOP/s)      (at least one read of the weights: W / bandwidth)

The prefill's last position already predicts the first new token, so this is the **time to first token**
(TTFT), leaving out queueing and the network. **Decode** then makes one token per step, and every step
reads every weight (W bytes) and the KV cache of every position so far (kv bytes per position) from
memory, while doing only 2 N FLOPs per sequence. For one sequence memory is the bottleneck:

    decode tokens/s <= bandwidth / (W + kv * n_context)

Batching B sequences reads the weights once per step for all of them, so a step costs
max((W + kv * total context) / bandwidth, 2 N B / (FLOP/s)): aggregate throughput grows with B until
the step becomes compute-bound. A mixture of experts (llm_core.moe) changes two terms: N is the active
parameters a token runs, and the bytes a pass reads are the weights its tokens' experts touch, not all of
W (`bytes_read`: llm_core.moe.weight_bytes_read), while memory still holds every expert. This is the roofline model (Williams et al. 2009, "Roofline",
doi:10.1145/1498765.1498785) applied to one step; real servers reach less than these peaks, so every
number here is an upper bound.

Worked example: Llama 3 8B in bf16 (W = 16.06 GB, kv = 128 KiB per position) on an H100 SXM
(3.35 TB/s, 989 TFLOP/s): a 1,000-token prompt takes 2 * 8.03e9 * 1000 / 989e12 = 16 ms; decoding at
1,000 positions reads 16.06 GB + 0.13 GB per step, 4.8 ms, so at most about 207 tokens/s.
>>> hw = HARDWARE["h100-sxm"]
>>> round(1e3 * prefill_seconds(8.03e9, 1000, hw.flops_per_s, 16.06e9, hw.bandwidth), 1)
16.2
>>> round(decode_step(16.06e9, 131072, 8.03e9, [1000], hw.bandwidth, hw.flops_per_s)["tokens_per_s"])
207
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Hardware:
    """What an accelerator can move and compute, from its datasheet."""

    name: str
    bandwidth: float  # bytes per second from memory (HBM or unified memory)
    flops_per_s: float  # peak dense FLOP/s at 16-bit precision
    memory: float  # bytes of memory for weights and KV cache
    source: str  # where the numbers come from


HARDWARE = {
    "h100-sxm": Hardware("NVIDIA H100 SXM", 3.35e12, 989e12, 80e9, "https://www.nvidia.com/en-us/data-center/h100/"),
    "a100-80gb": Hardware(
        "NVIDIA A100 80GB SXM", 2.039e12, 312e12, 80e9, "https://www.nvidia.com/en-us/data-center/a100/"
    ),
    # subtle: Apple states the bandwidth (100 GB/s) and memory (up to 24 GB); 3.6 TFLOP/s is the GPU's
    # commonly quoted FP32 peak, approximate. Decode is bandwidth-bound here, so it barely matters.
    "laptop-m2": Hardware(
        "Apple M2 laptop",
        100e9,
        3.6e12,
        24e9,
        "https://www.apple.com/newsroom/2022/06/apple-unveils-m2-with-breakthrough-performance-and-capabilities/",
    ),
}


def prefill_seconds(n_params, n_tokens, flops_per_s, weight_bytes=0.0, bandwidth=float("inf")):  # -> float
    """Seconds to read n_tokens prompt tokens (over the whole batch) in one pass.

    max(2 N n_tokens / FLOP/s, W / bandwidth): compute-bound for long prompts; a very short one still
    has to read every weight once.
    """
    if n_params <= 0 or n_tokens < 0 or flops_per_s <= 0 or bandwidth <= 0:
        raise ValueError("need n_params > 0, n_tokens >= 0, flops_per_s > 0 and bandwidth > 0")
    return max(2.0 * n_params * n_tokens / flops_per_s, weight_bytes / bandwidth)


def sequence_kv_bytes(kv_bytes_per_position, n_positions):  # -> float
    """One sequence's KV cache at n_positions: kv_bytes_per_position * n_positions.

    kv_bytes_per_position may instead be a function n_positions -> bytes, for a cache that does not grow
    linearly (sliding-window layers stop growing at their window: llm_core.kv_cache.kv_cache_bytes).
    """
    if callable(kv_bytes_per_position):
        return kv_bytes_per_position(n_positions)
    return kv_bytes_per_position * n_positions


def decode_step(weight_bytes, kv_bytes_per_position, n_params, contexts, bandwidth, flops_per_s):  # -> dict
    """One decode step for a batch whose sequences hold `contexts` positions each: a new token for each.

    Reads weight_bytes (all the weights, or for a mixture of experts the ones its len(contexts) tokens
    route to) once and every sequence's KV cache; computes 2 N FLOPs per sequence (N: the parameters a
    token runs). Returns seconds (the slower of the two), memory_seconds, compute_seconds, bound
    ("memory" or "compute"), bytes, flops, tokens_per_s (per sequence) and aggregate_tokens_per_s.
    """
    if not contexts or bandwidth <= 0 or flops_per_s <= 0:
        raise ValueError("need at least one sequence, bandwidth > 0 and flops_per_s > 0")
    n_bytes = weight_bytes + sum(sequence_kv_bytes(kv_bytes_per_position, c) for c in contexts)
    flops = 2.0 * n_params * len(contexts)
    t_memory, t_compute = n_bytes / bandwidth, flops / flops_per_s
    seconds = max(t_memory, t_compute)
    return {
        "seconds": seconds,
        "memory_seconds": t_memory,
        "compute_seconds": t_compute,
        "bound": "memory" if t_memory >= t_compute else "compute",
        "bytes": n_bytes,
        "flops": flops,
        "tokens_per_s": 1.0 / seconds,
        "aggregate_tokens_per_s": len(contexts) / seconds,
    }


def compute_bound_batch(
    weight_bytes, kv_bytes_per_position, n_params, n_context, bandwidth, flops_per_s, bytes_read=None
):  # -> float or None
    """The batch size B at which a decode step turns compute-bound (None if it never does).

    Solves (W + B kv n_context) / bandwidth = 2 N B / FLOP/s for B. Without the KV term this is
    B = FLOP/s * (W / N) / (2 bandwidth): the accelerator's FLOPs per byte times bytes per weight / 2.
    With bytes_read (B -> weight bytes a step of B tokens reads, a mixture of experts) W grows with B,
    never past weight_bytes, so B is found by bisection below the dense answer: compute minus memory
    time is convex in B (linear minus concave) and negative at 0, so it crosses zero once.
    """
    kv = sequence_kv_bytes(kv_bytes_per_position, n_context)
    per_sequence = 2.0 * n_params / flops_per_s - kv / bandwidth
    if per_sequence <= 0:
        return None  # each sequence's own KV reads outweigh its compute: memory-bound at any batch
    dense = (weight_bytes / bandwidth) / per_sequence
    if bytes_read is None:
        return dense

    def excess(b):  # compute time minus memory time of a step of b sequences
        return b * per_sequence - bytes_read(b) / bandwidth

    low, high = 0.0, dense  # excess(low) < 0 <= excess(high), since bytes_read(b) <= weight_bytes
    for _ in range(100):
        mid = (low + high) / 2
        low, high = (mid, high) if excess(mid) < 0 else (low, mid)
    return high


def stream_timeline(ttft, step_seconds):  # float, [n_out - 1] -> [n_out]
    """Arrival time of each new token: the first at TTFT, each next one a decode step later."""
    times, t = [ttft], ttft
    for s in step_seconds:
        t += s
        times.append(t)
    return times


def simulate(n_params, weight_bytes, kv_bytes_per_position, n_prompt, n_out, batch, hw, bytes_read=None):  # -> dict
    """Serve `batch` identical requests (n_prompt tokens in, n_out out) together on hardware `hw`.

    Prefill reads all batch * n_prompt tokens at once and its last position gives output token 1; decode
    step j (j = 1 .. n_out - 1) feeds output token j back in, extending every sequence to n_prompt + j
    positions, and gives token j + 1. The last token is sampled and never fed back, so the KV cache ends
    holding n_prompt + n_out - 1 positions per sequence. Returns ttft, arrivals [n_out] (seconds from the
    request), steps [n_out - 1] (decode_step dicts), memory bytes (weights + the full KV cache), the
    weight bytes each decode step reads, and the totals.
    n_params: parameters a token runs (a mixture of experts' active ones). bytes_read: n_tokens -> weight
    bytes a pass over that many tokens reads (llm_core.moe.weight_bytes_read); None: all weight_bytes.
    """
    if n_prompt < 1 or n_out < 1 or batch < 1:
        raise ValueError("need at least one prompt token, one output token and one sequence")
    read = bytes_read or (lambda n_tokens: weight_bytes)
    ttft = prefill_seconds(n_params, batch * n_prompt, hw.flops_per_s, read(batch * n_prompt), hw.bandwidth)
    step_bytes = read(batch)  # every decode step runs one token per sequence
    steps = [
        decode_step(step_bytes, kv_bytes_per_position, n_params, [n_prompt + j] * batch, hw.bandwidth, hw.flops_per_s)
        for j in range(1, n_out)
    ]
    arrivals = stream_timeline(ttft, [s["seconds"] for s in steps])
    # the last token is never fed back
    kv_bytes = sequence_kv_bytes(kv_bytes_per_position, n_prompt + n_out - 1) * batch
    return {
        "ttft": ttft,
        "arrivals": arrivals,
        "steps": steps,
        "total_seconds": arrivals[-1],
        "weight_bytes": weight_bytes,
        "step_weight_bytes": step_bytes,
        "kv_bytes": kv_bytes,
        "memory_bytes": weight_bytes + kv_bytes,
        "fits": weight_bytes + kv_bytes <= hw.memory,
    }

"""Training at scale: the memory each GPU holds, the bytes it sends, and what a run costs.

A model too big for one GPU is split four ways, and each split is a trade of memory for communication.

- **Data parallelism** (DP, n_data copies): every GPU holds the whole model, reads its own micro-batches,
  and the gradients are summed across copies once per step: a ring all-reduce, in which each GPU sends
  2 (n - 1) / n times the gradient bytes (Patarasuk and Yuan 2009; NCCL's "bus bandwidth").
- **ZeRO** (Rajbhandari et al. 2020, arXiv:1910.02054) removes DP's copies of the model states:
  stage 1 shards the optimizer states (fp32 master weights and Adam's two moments) over the n_data GPUs,
  stage 2 the gradients too, stage 3 (= PyTorch's FSDP) the 16-bit weights too, gathered layer by layer
  when needed. Mixed-precision Adam keeps 2 + 2 + 12 = 16 bytes per parameter (their section 3.1), so
  a 7.5B model needs 120 GB per GPU under plain DP and 120 / 64 = 1.9 GB under stage 3 on 64 GPUs
  (their figure 1). Stages 1 and 2 send what DP sends (a reduce-scatter and an all-gather); stage 3
  gathers the weights again for the backward pass: 1.5 times DP's volume (their section 7).
- **Tensor parallelism** (TP, n_tensor; Shoeybi et al. 2019, "Megatron-LM", arXiv:1909.08053) splits
  each weight matrix across GPUs (attention by heads, the MLP by its hidden units), so every layer's
  output is summed across them: two all-reduces of the activations per layer forward, two backward.
- **Pipeline parallelism** (PP, n_pipeline stages; GPipe, Huang et al. 2018, arXiv:1811.06965; 1F1B,
  Narayanan et al. 2021, arXiv:2104.04473) gives each GPU a run of consecutive layers; a step's batch
  goes through in n_micro micro-batches, and the stages idle while the pipeline fills and drains: a
  bubble of (p - 1) / (m + p - 1) of the step (Narayanan et al. section 2.2, with m micro-batches).

Activations follow Korthikanti et al. 2022 (arXiv:2205.05198, table 2): per layer, s b h (34 + 5 a s / h)
bytes for sequence length s, micro-batch b, width h and a heads, in 16-bit, for a GPT-3 block; sequence
parallelism divides it by t; recomputing the attention scores ("selective", which FlashAttention does
too) drops the 5 a s / h term; recomputing the whole layer ("full" activation checkpointing) keeps only
its 16-bit input, 2 s b h.

A run's compute is 6 N D FLOPs (llm_core.scaling.training_flops); divided by the GPUs' peak times the
model FLOPs utilisation (MFU) it is the run's time. Llama 3 405B (arXiv:2407.21783, table 4) reached
38-43% MFU on 8,192 to 16,384 H100s; Meta's model card states 30.84M H100 GPU-hours for it.

>>> model_state_bytes(7.5e9, n_data=64, zero_stage=3)["total"] / 1e9  # ZeRO's figure 1
1.875
>>> round(pipeline_bubble(n_pipeline=4, n_micro=12), 3)  # 3 / 15
0.2
"""

from dataclasses import dataclass

from .configs import parameter_count
from .scaling import gpu_days, training_flops
from .serving import HARDWARE, Hardware

# Bytes per parameter in mixed-precision training with Adam (ZeRO, section 3.1: 2 + 2 + K, K = 12).
BYTES_PER_PARAM = {
    "weights": 2,  # bf16/fp16 weights the forward and backward passes read
    "gradients": 2,  # bf16/fp16 gradients the backward pass writes
    "master": 4,  # fp32 master weights the optimizer updates (a bf16 weight would lose small updates)
    "adam": 8,  # Adam's first and second moments, fp32
}
ZERO_SHARDS = {  # stage -> the model states it shards over the data-parallel GPUs
    0: (),
    1: ("master", "adam"),
    2: ("master", "adam", "gradients"),
    3: ("master", "adam", "gradients", "weights"),
}
ACTIVATION_BYTES = 2  # activations kept for the backward pass, in 16-bit
GPUS_PER_NODE = 8  # an HGX/DGX server: eight GPUs joined by NVLink


@dataclass(frozen=True)
class Interconnect:
    """A link between GPUs: bytes per second each GPU can send (one direction)."""

    name: str
    bandwidth: float  # bytes per second, per GPU, one direction
    source: str


@dataclass(frozen=True)
class TrainingGPU:
    """An accelerator for training: its memory and FLOP/s (serving.HARDWARE) and its two kinds of link."""

    hardware: Hardware
    nvlink: Interconnect  # inside a server
    network: Interconnect  # between servers


H100 = TrainingGPU(
    HARDWARE["h100-sxm"],
    # "NVLink: 900GB/s" is both directions together: 450 GB/s each way.
    Interconnect("NVLink 4", 450e9, "https://www.nvidia.com/en-us/data-center/h100/"),
    # one ConnectX-7 NDR port per GPU, 400 Gb/s = 50 GB/s each way
    Interconnect("InfiniBand NDR", 50e9, "https://docs.nvidia.com/dgx/dgxh100-user-guide/introduction-to-dgxh100.html"),
)
A100 = TrainingGPU(
    HARDWARE["a100-80gb"],
    Interconnect("NVLink 3", 300e9, "https://www.nvidia.com/en-us/data-center/a100/"),  # 600 GB/s both ways
    # one ConnectX-6 HDR port per GPU, 200 Gb/s = 25 GB/s each way
    Interconnect("InfiniBand HDR", 25e9, "https://docs.nvidia.com/dgx/dgxa100-user-guide/introduction-to-dgxa100.html"),
)
TRAINING_GPUS = {"h100": H100, "a100": A100}


@dataclass(frozen=True)
class Layout:
    """How a run is split: n_data x n_tensor x n_pipeline GPUs, and what one step reads."""

    n_data: int = 1  # data-parallel copies (ZeRO shards over these)
    n_tensor: int = 1  # GPUs each layer's matrices are split over
    n_pipeline: int = 1  # pipeline stages
    zero_stage: int = 0  # 0 (plain DP) .. 3 (FSDP)
    seq_len: int = 4096  # tokens per sequence
    micro_batch: int = 1  # sequences per micro-batch
    n_micro: int = 1  # micro-batches per step on each data-parallel copy (gradient accumulation)
    recompute: str = "selective"  # "none", "selective" (attention scores) or "full" (whole layers)
    schedule: str = "1f1b"  # pipeline schedule: "1f1b" or "gpipe"

    @property
    def n_gpus(self):
        return self.n_data * self.n_tensor * self.n_pipeline

    @property
    def tokens_per_step(self):
        return self.n_data * self.n_micro * self.micro_batch * self.seq_len


def check_layout(cfg, layout):  # ArchConfig, Layout -> None, or ValueError
    """The splits a model allows: heads divide over TP, at least a layer per stage, known options."""
    if min(layout.n_data, layout.n_tensor, layout.n_pipeline, layout.seq_len, layout.micro_batch, layout.n_micro) < 1:
        raise ValueError("every degree, the sequence length and the batch sizes must be at least 1")
    if cfg.n_head % layout.n_tensor:
        raise ValueError(f"tensor parallelism splits the {cfg.n_head} heads: {layout.n_tensor} does not divide them")
    if layout.n_pipeline > cfg.n_layer:
        raise ValueError(f"{layout.n_pipeline} pipeline stages for {cfg.n_layer} layers: a stage needs a layer")
    if layout.zero_stage not in ZERO_SHARDS or layout.recompute not in ("none", "selective", "full"):
        raise ValueError("zero_stage is 0..3 and recompute one of none, selective, full")
    if layout.schedule not in ("1f1b", "gpipe"):
        raise ValueError("schedule is 1f1b or gpipe")


def model_state_bytes(n_params, n_data=1, zero_stage=0):  # -> dict of floats
    """Bytes of weights, gradients, master weights and Adam moments on one GPU holding n_params.

    ZeRO stage s divides the states it shards by n_data. Returns those four and total.
    >>> model_state_bytes(7.5e9)["total"] / 1e9  # 16 bytes per parameter
    120.0
    """
    parts = {
        name: n_params * size / (n_data if name in ZERO_SHARDS[zero_stage] else 1)
        for name, size in BYTES_PER_PARAM.items()
    }
    parts["total"] = sum(parts.values())
    return parts


def stage_params(cfg, n_pipeline=1):  # -> [n_pipeline] ints
    """Parameters of each pipeline stage: layers as evenly as possible (the first stages take the extra
    ones), the embedding on the first stage, the final norm and output projection on the last.

    subtle: with tied embeddings and more than one stage the last stage keeps its own copy of the table
    (Megatron-LM does, and sums the two gradients), so the stages add up to more than the model.
    """
    parts = parameter_count(cfg)
    layers = [cfg.n_layer // n_pipeline + (i < cfg.n_layer % n_pipeline) for i in range(n_pipeline)]
    stages = [n * parts["per_layer"] for n in layers]
    stages[0] += parts["embedding"] + parts["position"]
    head = parts["lm_head"] or (parts["embedding"] if n_pipeline > 1 else 0)
    stages[-1] += parts["norms"] // (2 * cfg.n_layer + 1) + head  # the final norm, then the output projection
    return stages


def activation_bytes_per_layer(cfg, seq_len, micro_batch, n_tensor=1, recompute="selective", sequence_parallel=True):
    """Bytes one layer keeps for its backward pass, per micro-batch (Korthikanti et al. 2022, table 2).

    s b h (34 + 5 a s / h) with nothing recomputed; 34 s b h with the attention scores recomputed
    (selective); 2 s b h with the layer recomputed (full: only its input is kept). With tensor
    parallelism and sequence parallelism all of it divides by t; without sequence parallelism only
    the parts inside the split matrices do: s b h (10 + 24 / t + 5 a s / (h t)).
    """
    s, b, h, a, t = seq_len, micro_batch, cfg.d_model, cfg.n_head, n_tensor
    if recompute == "full":
        return 2 * s * b * h / (t if sequence_parallel else 1)
    scores = 5 * a * s / h if recompute == "none" else 0.0
    if sequence_parallel:
        return s * b * h * (34 + scores) / t
    return s * b * h * (10 + 24 / t + scores / t)


def in_flight(layout):  # -> int
    """Micro-batches whose activations the first pipeline stage holds at once.

    GPipe runs every forward before any backward: all m. 1F1B starts a backward as soon as the last
    stage can, so the first stage holds at most p (Narayanan et al. 2021, section 2.2).
    """
    if layout.schedule == "gpipe":
        return layout.n_micro
    return min(layout.n_pipeline, layout.n_micro)


def training_memory(cfg, layout):  # ArchConfig, Layout -> dict of floats (bytes, on the busiest GPU)
    """Bytes on the busiest GPU: weights, gradients, master, adam, activations, total.

    The busiest GPU is on the largest pipeline stage, whose parameters are split n_tensor ways (norm
    gains, which Megatron copies, are a rounding error here); ZeRO then shards over n_data. Activations:
    the stage's layers times the micro-batches in flight; with full recomputation, plus one layer's
    activations while it is recomputed. Left out: the embedding's and the output layer's activations
    (the logits), temporary buffers and the allocator's fragmentation, which real runs also pay.
    """
    check_layout(cfg, layout)
    n_params = max(stage_params(cfg, layout.n_pipeline)) / layout.n_tensor
    memory = model_state_bytes(n_params, layout.n_data, layout.zero_stage)
    layers = -(-cfg.n_layer // layout.n_pipeline)  # ceil: the first stage's layers
    per_layer = activation_bytes_per_layer(cfg, layout.seq_len, layout.micro_batch, layout.n_tensor, layout.recompute)
    activations = layers * in_flight(layout) * per_layer
    if layout.recompute == "full":  # the layer being recomputed holds its activations again, for a moment
        activations += activation_bytes_per_layer(cfg, layout.seq_len, layout.micro_batch, layout.n_tensor)
    memory["activations"] = activations
    memory["total"] += activations
    memory["params_per_gpu"] = n_params
    return memory


def ring_all_reduce_bytes(n_bytes, n):  # -> float
    """Bytes each of n GPUs sends in a ring all-reduce of n_bytes: a reduce-scatter, then an all-gather.

    >>> ring_all_reduce_bytes(1e9, 4) / 1e9  # 2 (n - 1) / n
    1.5
    """
    return 2 * (n - 1) / n * n_bytes


def ring_all_gather_bytes(n_bytes, n):  # -> float
    """Bytes each of n GPUs sends in a ring all-gather (or reduce-scatter) of n_bytes: (n - 1) / n."""
    return (n - 1) / n * n_bytes


def pipeline_bubble(n_pipeline, n_micro, n_virtual=1):  # -> float
    """Fraction of a step the stages sit idle while the pipeline fills and drains: (p - 1) / (m + p - 1).

    The idle time is p - 1 micro-batches' worth, the work m. The interleaved schedule gives each GPU
    n_virtual smaller stages, so the pipeline fills v times faster: (p - 1) / (v m + p - 1) (Narayanan
    et al. 2021, section 2.2.2). GPipe and 1F1B have the same bubble; 1F1B holds fewer activations.
    """
    return (n_pipeline - 1) / (n_virtual * n_micro + n_pipeline - 1)


def communication_bytes(cfg, layout):  # -> dict of floats: bytes each GPU sends per step
    """What each GPU sends in one optimizer step: data, tensor and pipeline, in 16-bit.

    data: the gradients summed once per step (all-reduce; ZeRO 1 and 2 send the same as a reduce-scatter
    plus an all-gather of the weights); ZeRO 3 also gathers the weights before each micro-batch's forward
    and backward pass: (2 m + 1) (n - 1) / n of them, 1.5 times DP's volume when m = 1.
    tensor: per layer and micro-batch, two all-reduces of the s b h activations forward, two backward,
    two more if the forward is recomputed (full recomputation).
    pipeline: per micro-batch, the stage's output activations forward and their gradients backward,
    s b h / t each (Megatron's scatter/gather across the tensor-parallel GPUs).
    """
    check_layout(cfg, layout)
    d, t, p, m = layout.n_data, layout.n_tensor, layout.n_pipeline, layout.n_micro
    grads = max(stage_params(cfg, p)) / t * BYTES_PER_PARAM["gradients"]
    if layout.zero_stage == 3:
        data = (2 * m + 1) * ring_all_gather_bytes(grads, d)
    else:
        data = ring_all_reduce_bytes(grads, d)
    activation = layout.seq_len * layout.micro_batch * cfg.d_model * ACTIVATION_BYTES  # s b h in 16-bit
    all_reduces = 6 if layout.recompute == "full" else 4
    tensor = -(-cfg.n_layer // p) * m * all_reduces * ring_all_reduce_bytes(activation, t)
    pipeline = 2 * m * activation / t if p > 1 else 0.0
    return {"data": data, "tensor": tensor, "pipeline": pipeline, "total": data + tensor + pipeline}


def links(layout, gpu=H100):  # -> dict: "data", "tensor", "pipeline" -> Interconnect
    """The link each group talks over, with GPUs numbered tensor first, then data, then pipeline.

    A group stays inside one server (NVLink) if it spans at most GPUS_PER_NODE GPUs: the tensor group
    spans t, the data group t d, the pipeline group t d p.
    """
    span = {"tensor": layout.n_tensor, "data": layout.n_tensor * layout.n_data, "pipeline": layout.n_gpus}
    return {k: gpu.nvlink if n <= GPUS_PER_NODE else gpu.network for k, n in span.items()}


def step_time(cfg, layout, gpu=H100, mfu=0.4):  # -> dict of seconds
    """One step: compute (6 N tokens over every GPU at the MFU) and each kind of communication.

    Communication seconds are bytes / the link's one-way bandwidth; how much of it hides behind compute
    depends on the implementation, so the parts are returned apart, not summed into one step time.
    """
    n_params = parameter_count(cfg)["total"]
    compute = training_flops(n_params, layout.tokens_per_step) / (layout.n_gpus * gpu.hardware.flops_per_s * mfu)
    sent = communication_bytes(cfg, layout)
    link = links(layout, gpu)
    return {
        "compute": compute,
        "bubble": pipeline_bubble(layout.n_pipeline, layout.n_micro),
        **{k: sent[k] / link[k].bandwidth for k in ("data", "tensor", "pipeline")},
    }


def run_cost(n_params, n_tokens, n_gpus, flops_per_s, mfu, price_per_gpu_hour=0.0):  # -> dict
    """A run of 6 N D FLOPs: its GPU-hours at the MFU, days on n_gpus GPUs, and cost at a price per GPU-hour.

    >>> round(run_cost(405e9, 15.6e12, 16384, 989e12, 0.4)["gpu_hours"] / 1e6, 1)  # Llama 3 405B at 40%
    26.6
    """
    flops = training_flops(n_params, n_tokens)
    gpu_hours = 24 * gpu_days(flops, flops_per_s, mfu)
    return {
        "flops": flops,
        "gpu_hours": gpu_hours,
        "days": gpu_hours / n_gpus / 24,
        "cost": gpu_hours * price_per_gpu_hour,
    }


def implied_mfu(n_params, n_tokens, gpu_hours, flops_per_s):  # -> float
    """The MFU a published run's GPU-hours imply: 6 N D / (GPU-seconds x peak)."""
    return training_flops(n_params, n_tokens) / (gpu_hours * 3600 * flops_per_s)


@dataclass(frozen=True)
class PublishedRun:
    """A training run whose GPU-hours (or MFU) were published."""

    name: str
    n_params: float
    n_tokens: float
    gpu_hours: float  # as published
    gpu: str  # key of TRAINING_GPUS
    source: str
    url: str


PUBLISHED_RUNS = (
    PublishedRun(
        "Llama 3.1 405B",
        405e9,
        15.6e12,  # the paper, section 3.1: "15.6T tokens"; the model card rounds to "~15T"
        30.84e6,
        "h100",
        "Llama 3.1 model card (training GPU hours); Llama team 2024, arXiv:2407.21783, section 3.1 (tokens)",
        "https://huggingface.co/meta-llama/Llama-3.1-405B",
    ),
)
LLAMA3_MFU = (0.38, 0.43)  # arXiv:2407.21783, table 4: BF16 MFU on 8,192 to 16,384 H100s

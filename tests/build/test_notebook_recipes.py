"""Every notebook recipe (sitebuild/notebook_recipes.py) prints the numbers its widget's figure shows.

For each widget a chapter places, its recipe cell is written as the chapter's notebook writes it (the
chapter's inputs above the recipe's body) and run here in CPython; the widget's own compute() runs on the
same inputs; the recipe's printed output must hold the 1-3 key values CHECKS picks from compute()'s
result, formatted as the recipe prints them. A recipe that drifts from its widget fails here, without a
built site (tests/build/test_notebooks.py runs the whole notebooks against one).
"""

import contextlib
import io
import json
from pathlib import Path

import pytest

import build
from sitebuild import notebook_recipes, notebooks
from tests.core.widget_loader import load_widget


def placements() -> dict[str, dict]:
    """{widget name: the chapter's inputs} for every placed widget (its first placement)."""
    out = {}
    for ch in build.load_chapters(build.Options().chapters):
        for block in ch.blocks:
            if block.kind == "widget" and block.name not in out:
                out[block.name] = block.params
    return out


PLACED = placements()


def smollm2_chat_reference() -> dict:
    """SmolLM2's chat prompt for "What is the capital of France?", as transformers' apply_chat_template gives it."""
    path = Path(__file__).resolve().parents[1] / "core" / "fixtures" / "smollm2_reference.json"
    return json.loads(path.read_text())["prompts"]["chat"]


def pct(p: float) -> str:
    return f"{p:.1%}"


# widget -> the values (text) of its figure, from compute()'s result, that its recipe must print
CHECKS = {
    "optimizer_race": lambda r: [f"loss {run['final_loss']:.4g}" for run in r["runs"]],
    "swiglu_ffn": lambda r: (
        [f"|out| = {r['out_norm']:.3f}", f"|stream| = {r['residual_norm']:.3f}"]
        + [f"neuron {r['neurons'][0]['index']:>3}: gate {r['neurons'][0]['gate']:+.2f}"]
    ),
    "token_loss": lambda r: [f"mean loss {r['stats']['mean']:.3f} nats, perplexity {r['stats']['perplexity']:.1f}"],
    "weight_quantizer": lambda r: [f"largest error {r['error']['max_abs']:.4f}, mean {r['error']['mean_abs']:.5f}"],
    "logit_lens": lambda r: [f"{r['n_scored'] - 1:>8}  "],
    "attention_head": lambda r: [f"{row['pos']:>3} " for row in r["top"][:3]] + [pct(r["top"][0]["weight"])],
    "token_vector": lambda r: [f"= {r['cosine']:.3f}"] + [f"{n['cosine']:.2f}" for n in r["neighbours"][:3]],
    "vector_math": lambda r: [f"cosine {r['expect_cosine']:.3f}  <- expected"],
    "embedding_map": lambda r: [f"{r['n_points']} words", f"explain {sum(r['explained'][:2]):.0%}"],
    "rope_frequencies": lambda r: [f"at {r['n_ctx_new']} positions {r['n_partial']} of {r['n_pairs']} pairs"],
    "tokenizer_compare": lambda r: [
        f"{e['name']}: {e['n_tokens']} tokens, {e['chars_per_token']:.2f} characters" for e in r["encodings"]
    ],
    "bpe_stepper": lambda r: [f"step {r['n_steps']}: ", f"-> {r['ids']}"],
    "next_token": lambda r: [
        f"{r['n_kept']} tokens survive",
        f"{pct(r['token']['p_model'])} -> {r['token']['p']:6.1%}  <- drawn",
    ],
    "generate": lambda r: [
        f"probability {pct(t['p'])} after the filters, {pct(t['p_model'])} before" for t in r["tokens"][:3]
    ],
    "lora_params": lambda r: [f"{r['lora']:,} trainable numbers", f"{r['total']:,} parameters"],
    "model_size": lambda r: [f"{r['real']['n_params']:,} parameters"],
    "pass_at_k": lambda r: [f": {r['pass_at_k']:.3f} (plug-in estimate {r['plug_in']:.3f})", f"{r['majority']:.3f}"],
    "grpo_advantages": lambda r: [f"advantage {a:+.3f}" for a in r["advantages"]] + [repr(r["objective"])],
    "compute_optimal": lambda r: [f"loss {r['fit']['loss']:.3f}", f"{r['gpu_days']:.3g} H100-days"],
    "kv_memory": lambda r: (
        [f"{v['name']}: {v['n_kv_head']:>3} KV heads, {v['per_token'] / 1024:7.0f} KiB" for v in r["variants"]]
        + [f"{v['bytes'] / 2**30:7.2f} GiB" for v in r["variants"]]
    ),
    "moe_params": lambda r: [f"{r['moe']['total'] / 1e9:6.1f}B total, {r['moe']['active'] / 1e9:5.1f}B active"],
    "activation_explorer": lambda r: [
        f"{c['key']:>8}({r['x']}) = {c['value']:+.3f}   slope {c['slope']:+.3f}" for c in r["curves"]
    ],
    "neuron": lambda r: [f"z = sum + bias = {r['sum']:+.2f}", f"= {r['y']:.2f}"],
    "dense_layer": lambda r: [f" = {y:.2f}" for y in r["y"]],
    "linear_collapse": lambda r: [f"between: {r['max_diff']:.3g}"],
    "neg_log": lambda r: [f"loss = {r['nats']:.3f} nats"],
    "param_counter": lambda r: [f"{r['total']:,} parameters", f"{r['per_layer']:,}", f"{r['layers_share']:.1%}"],
    "lora_rank": lambda r: [pct(r["relative"]), pct(r["energy"]), f"{pct(r['random_relative'])} error"],
    "scaling_map": lambda r: (
        [f"loss {r['yours'][k]['loss']:.3f}" for k in ("best", "rule")] + [f"fitted loss {r['yours']['loss']:.3f}"]
    ),
    "parallelism_calculator": lambda r: [
        f"{r['memory']['total'] / 1e9:8.3g} GB",
        f"{r['run']['days']:.3g} days",
        f"{r['compute_seconds']:.3g} s",
    ],
    "dpo_loss": lambda r: [f"loss {r['loss']:.3f}", f"margin {r['margin']:+.3f}", pct(r["p_chosen"])],
    "reward_ranking": lambda r: [f"order: {r['listed_loss']:.3f}"] + [f"score {a['score']:+.3f}" for a in r["answers"]],
    "model_pass": lambda r: [
        f"size {r['vector_norm']:.2f}",
        f"|stream| {r['blocks'][-1]['norm']:6.2f}",
        f"probability {pct(r['next']['p_model'])} ({pct(r['next']['p'])}",
    ],
    "block_walk": lambda r: [f": {step['norm']:.2f}" for step in r["steps"]],
    "attention_maps": lambda r: [
        f"previous {r['heads'][r['chosen']]['prev']:6.1%}, first {r['heads'][r['chosen']]['first']:6.1%}, "
        f"itself {r['heads'][r['chosen']]['self']:6.1%}, distance {r['heads'][r['chosen']]['distance']:4.1f}"
    ],
    "bpe_train": lambda r: [
        f"{r['n_merges']} merges",
        f"yours: {r['custom']['n_tokens']} tokens, {r['custom']['bytes_per_token_text']} bytes",
        f"o200k_base: {r['reference']['n_tokens']} tokens, {r['reference']['bytes_per_token_text']} bytes",
    ],
    "serving_sim": lambda r: [
        f"after {r['ttft'] * 1000:.3g} ms",
        f"after {r['total_seconds']:.3g} s",
        f"{r['per_seq_tokens_per_s']:.1f} tokens/s",
    ],
    "rope_rotation": lambda r: [
        f"by {r['pair']['angle_m']:.3f} at position {r['params']['m']}",
        f"{r['pair']['freq']:.4f} radians",
        f": {float(r['score_text'].replace(chr(0x2212), '-')):.6f}",
    ],
    "cached_generation": lambda r: [
        f"holds {r['cache_bytes']:,} bytes",
        f"positions computed: {r['positions_cached']} (",
        f"positions computed: {r['positions_uncached']}; identical: {r['identical']}",
    ],
    "quantized_model": lambda r: [
        f"{r['bytes_quant'] / 1e6:.2f} MB",
        f"perplexity {r['ppl_full']:.2f}",
        f"perplexity {r['ppl_quant']:.2f}",
    ],
    "checkpoint_samples": lambda r: [f"{row['loss']:.2f} nats" for row in r["losses"]] + [f"writes: {r['text']!r}"],
    "diagnose": lambda r: [f"{run['n_repeated']} of {run['n_tokens']} new tokens" for run in r["demo"]["runs"]],
    "training_curves": lambda r: [
        f"training loss at step {r['train']['step']:,}: {r['train']['loss']:.3f}",
        f"validation loss at step {r['val']['step']:,}: {r['val']['loss']:.3f}",
        f"{r['tokens']:,} tokens seen",
    ],
    "benchmark_run": lambda r: [f"acc: {r['acc_text']}", f"acc_norm: {r['norm_text']}"],
    "speculative": lambda r: [
        f"acceptance rate {pct(r['acceptance_rate'])}",
        f"{r['tokens_per_pass']:.2f} per pass (closed form {r['closed_tokens_per_pass']:.2f})",
    ],
    "flash_tiles": lambda r: [
        f"{r['counts']['total']} tiles: {r['counts']['full']} computed in full, {r['counts']['diagonal']} on the "
        f"diagonal, {r['counts']['skipped']} skipped",
        f"plain attention: {r['diff']:.1e}",
    ],
    "moe_router": lambda r: [
        f"error of the whole output {pct(r['error'])}",
        f"load-balancing loss {r['balance_loss']:.3f}",
        f"error {pct(r['rows'][0]['error'])}",
    ],
    "trainer": lambda r: [f"{row['label']} {row['value'].removesuffix(' nats')}" for row in r["readouts"][:3]],
    "gguf_blocks": lambda r: [
        "bytes " + " ".join(r["block"]["hex"]),
        *(
            f"{f['name']}: RMS error {f['rms_rel']:.1%} of the weights' RMS, largest {f['max_rel']:.1%}"
            for f in r["formats"]
        ),
    ],
    # the notebook runs chat on the tiny model, which cannot chat: the figure then shows what would be sent;
    # the prompt's ids are checked against Hugging Face transformers' for the same message (chapter 19's)
    "chat": lambda r: ["Settings: " + r["sending"].split(". Settings: ")[1], str(smollm2_chat_reference()["ids"])],
    "superposition": lambda r: [
        f"{r['n_kept']} of ",
        f"loss {r['loss']:.4f}",
        f"dimensions per feature: {r['dims_per_feature']:.2f}",
    ],
    "mixed_precision": lambda r: [
        f"-> {row['final_loss']:.3f}; updates lost {row['updates_lost']:,}, gradient values underflowed "
        f"{row['grads_underflowed']:,}, steps skipped {row['steps_skipped']}"
        for row in r["table"]
    ],
    "data_pipeline": lambda r: [f"exact Jaccard {r['pair']['exact']:.3f}, MinHash {r['pair']['estimate']:.3f}"],
    "post_training": lambda r: [
        f"{r['pretraining']['n_targets']} targets, mean loss {r['pretraining']['loss']:.3f} nats",
        f"{r['sft']['n_tokens']} tokens, {r['sft']['n_targets']} targets",
        f"log pi(chosen) {r['preference']['chosen']['logp']:.3f}",
    ],
    "backprop_step": lambda r: [
        f"loss {r['loss']:.4g}",
        f"loss {r['loss_next']:.4g}",
        f"= {r['chain']['product']:.4g}",
    ],
}


def run_recipe(name: str, params: dict) -> str:
    """The recipe's cell for these inputs, run here: what it prints."""
    code = notebooks.figure_cell(name, params, None)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"<recipe {name}>", "exec"), {"__name__": f"recipe_{name}"})
    return out.getvalue()


def test_every_placed_widget_has_a_recipe_and_a_check():
    assert notebook_recipes.missing_recipes(PLACED) == []
    assert notebook_recipes.missing_recipes(["no_such_widget"]) == ["no_such_widget"]
    with_recipe = sorted(name for name in PLACED if name in notebook_recipes.RECIPES)
    assert sorted(CHECKS) == with_recipe


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_recipe_prints_what_the_widget_computes(name):
    module = load_widget(name)
    params = notebooks.notebook_params({**module.DEFAULTS, **PLACED[name]})
    printed = run_recipe(name, params)
    expected = CHECKS[name](module.compute(params))
    assert expected, f"{name}: no key values picked"
    for value in expected:
        assert value in printed, f"{name}: {value!r} not in the recipe's output:\n{printed}"

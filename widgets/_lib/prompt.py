"""A reader's prompt as the token ids a model reads, with notes that say what changed.

Widgets take text from readers: any length, empty, or with characters no tokenizer can encode (lone
surrogates). prompt_ids makes it something the model can read and says so in plain sentences, which
the widget shows under its figure; llm_core itself only counts what it cut.
"""

from llm_core.generation import truncate_prompt
from llm_core.tokenizer import without_surrogates


def truncation_note(n_prompt: int, n_ctx: int, max_new_tokens: int) -> str:
    """Why a prompt of n_prompt tokens was cut to its last n_ctx - max_new_tokens."""
    return (
        f"The prompt is {n_prompt} tokens, but the model reads at most {n_ctx} and "
        f"{max_new_tokens} are kept for new tokens: only the prompt's last {n_ctx - max_new_tokens} "
        f"tokens were used."
    )


def prompt_ids(model, prompt, max_new_tokens=1, max_chars=2_000, max_tokens=None):  # str -> [n_kept] ids, notes
    """A reader's prompt as the token ids the model will read, with notes (plain sentences) on what changed.

    Only the last `max_chars` characters are tokenized (the model reads at most n_ctx tokens anyway); an
    empty prompt becomes <|endoftext|>, the token that separated the training documents, so the model starts
    a new document; the ids are cut to leave room for `max_new_tokens`, and to the last `max_tokens` for a
    figure that shows only so many.
    """
    notes = []
    prompt = without_surrogates(prompt)
    if len(prompt) > max_chars:
        notes.append(f"The prompt is {len(prompt):,} characters: only its last {max_chars:,} were tokenized.")
        prompt = prompt[-max_chars:]
    ids = model.encoding.encode(prompt)
    if not ids and "<|endoftext|>" not in model.encoding.special_tokens:
        raise ValueError(
            "the prompt is empty, and this model has no <|endoftext|> token to start a new document from: type a prompt"
        )
    if not ids:
        notes.append(
            "The prompt is empty, so the model starts a new document: it reads only "
            "<|endoftext|>, the token that separated the documents it was trained on."
        )
        ids = [model.encoding.special_tokens["<|endoftext|>"]]
    n_prompt = len(ids)
    ids, n_dropped = truncate_prompt(ids, model.cfg.n_ctx, max_new_tokens)
    if n_dropped:
        notes.append(truncation_note(n_prompt, model.cfg.n_ctx, max_new_tokens))
    if max_tokens is not None and len(ids) > max_tokens:
        notes.append(f"The prompt is {len(ids)} tokens: this figure reads only its last {max_tokens}.")
        ids = ids[-max_tokens:]
    return ids, notes

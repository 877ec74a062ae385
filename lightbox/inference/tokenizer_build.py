"""Train a small BPE tokenizer with Gemma 3's special tokens and chat template (dev-time).

``gemma_ids=True`` puts the special tokens at Gemma 3 / MedGemma 4B's ids (pad 0, eos 1, bos 2,
<start_of_turn> 105, <end_of_turn> 106, <start_of_image> 255999, <end_of_image> 256000,
<image_soft_token> 262144) and pads the vocabulary with unused tokens, so a tiny model follows the
real model's token conventions.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>",
            "<image_soft_token>"]
GEMMA_SPECIAL_IDS = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3, "<start_of_turn>": 105, "<end_of_turn>": 106,
                     "<start_of_image>": 255999, "<end_of_image>": 256000, "<image_soft_token>": 262144}
GEMMA_VOCAB_SIZE = 262208

# Gemma 3's chat template, reduced to what Lightbox sends (text and image items; a system turn
# is folded into the first user turn as Gemma does).
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}{%- set first_user_prefix = '' -%}{%- set loop_messages = messages -%}{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') }}"
    "{%- if message['content'] is string -%}{{ message['content'] | trim }}"
    "{%- else -%}{%- for item in message['content'] -%}"
    "{%- if item['type'] == 'image' -%}{{ '<start_of_image>' }}"
    "{%- elif item['type'] == 'text' -%}{{ item['text'] | trim }}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}"
    "{{ '<end_of_turn>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)


def _remap(tokenizer_json: dict[str, Any], special_ids: dict[str, int], total: int) -> dict[str, Any]:
    vocab: dict[str, int] = tokenizer_json["model"]["vocab"]
    ordinary = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1]) if t not in special_ids]
    reserved = set(special_ids.values())
    free = (i for i in range(total) if i not in reserved)
    new_vocab = dict(special_ids)
    for token in ordinary:
        new_vocab[token] = next(free)
    for n, i in enumerate(free):
        new_vocab[f"<unused{n}>"] = i
    tokenizer_json["model"]["vocab"] = new_vocab
    for added in tokenizer_json["added_tokens"]:
        added["id"] = new_vocab[added["content"]]
    return tokenizer_json


def train_tokenizer(texts: Iterable[str], vocab_size: int, out_dir: Path, gemma_ids: bool = False) -> Any:
    """Train, save (tokenizer.json, tokenizer_config.json with the chat template) and return a
    ``PreTrainedTokenizerFast``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=False))
    # Spaces become "▁" as in SentencePiece; nothing is prepended, so text round-trips exactly
    # (newlines included) around the chat template's special tokens.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="never")
    tok.decoder = decoders.Metaspace(prepend_scheme="never")
    alphabet = [chr(c) for c in range(32, 127)] + ["\n", "▁", "°", "±", "µ", "é"]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS, min_frequency=2, show_progress=False,
                                  initial_alphabet=alphabet)
    tok.train_from_iterator(texts, trainer)
    if gemma_ids:
        tok = Tokenizer.from_str(json.dumps(_remap(json.loads(tok.to_str()), GEMMA_SPECIAL_IDS, GEMMA_VOCAB_SIZE)))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                   unk_token="<unk>", additional_special_tokens=SPECIALS[4:])
    fast.chat_template = CHAT_TEMPLATE
    out_dir.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(out_dir))
    return fast

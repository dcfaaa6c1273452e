"""Generation speed with a steering hook installed at α = 0 vs no hook: same model, same run.

Runs alternate (plain, hooked, plain, hooked …) so drift in the machine's speed hits both alike; the
table gives the median tokens/s of each and their ratio (target ≥ 0.97). The hook steers every layer
listed, on both image and text positions, decode steps included: the most work it can do.

    python benchmarks/steer_overhead.py                    # SmolLM2-135M on the CPU
    python benchmarks/steer_overhead.py --model hf:PATH --device cuda --layers 10
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from rich.console import Console
from rich.table import Table

from modgap.models.loading import load_pretrained
from modgap.models.spec import parse_spec
from modgap.steer import SteerSpec, steer


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="smollm2")
    p.add_argument("--device", default="cpu")
    p.add_argument("--layers", default="15", help="comma-separated layers to hook")
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--repeats", type=int, default=7)
    a = p.parse_args()
    spec = parse_spec(a.model)
    loaded = load_pretrained(spec.path or spec.name, a.device)
    model, tok = loaded.model, loaded.tokenizer
    tok.padding_side = "left"
    prompts = [f"Write a short story about a {w} and a lamp." for w in ("cat", "dog", "bird", "fish", "fox")]
    batch = tok(prompts[: a.batch], return_tensors="pt", padding=True).to(model.device)
    d = model.config.get_text_config().hidden_size
    specs = [SteerSpec(int(ell), torch.randn(d), 0.0, "both", decode=True) for ell in a.layers.split(",")]

    def run(hooked: bool) -> float:
        with torch.no_grad(), steer(model, specs if hooked else [], tok):
            start = time.perf_counter()
            out = model.generate(**batch, max_new_tokens=a.tokens, min_new_tokens=a.tokens, do_sample=False)
            seconds = time.perf_counter() - start
        return (out.shape[1] - batch["input_ids"].shape[1]) * out.shape[0] / seconds

    run(False), run(True)  # warm-up
    plain, hooked = [], []
    for _ in range(a.repeats):
        plain.append(run(False))
        hooked.append(run(True))
    table = Table(
        title=f"{a.model}: {a.batch}×{a.tokens} greedy tokens, hook at α=0 on layers {a.layers} ({a.device})"
    )
    for col in ("run", "median tokens/s", "min", "max"):
        table.add_column(col, justify="right")
    for name, values in (("no hook", plain), ("hook, α = 0", hooked)):
        table.add_row(name, f"{statistics.median(values):.1f}", f"{min(values):.1f}", f"{max(values):.1f}")
    ratio = statistics.median(hooked) / statistics.median(plain)
    table.add_row("ratio hooked / plain", f"{ratio:.3f}", "", "")
    Console().print(table)


if __name__ == "__main__":
    main()

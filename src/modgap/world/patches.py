"""Vision pretraining for the world VLM: labels for every image patch from the scene's truth, and a short
supervised run of the vision tower on them.

A Llava is normally built on a pretrained vision tower. The world VLM's tower starts from scratch, and
trained jointly on questions alone it learns to count and to name colours but never where a named object
is (see the README). Labelling each patch with the object it shows (its colour, shape, size, depth and
the patch-grid cell of its centre) and training the tower on that first makes every patch carry its
object's attributes and place, as a pretrained tower's would. That lifts colour, size and depth; for
relations the language model must also learn to tie a name to its place (grounded captions, in
:mod:`modgap.world.recipe`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image
from transformers import LlavaForConditionalGeneration, LlavaProcessor

from modgap.world.render import object_map
from modgap.world.scene import COLOURS, SHAPES, SIGN, SIZES, Scene, centre_cell
from modgap.world.vlm import VLMTrainArgs, lr_scale

__all__ = ["DEPTH_BINS", "patch_targets", "pretrain_vision", "target_names"]

DEPTH_BINS = 4
PIXELS_PER_PATCH = 8
"""The object map is drawn at this many pixels per patch side, whatever the model's resolution."""
COVER = 0.25
"""A patch shows the object covering most of it if that covers at least this fraction, else background."""


def _classes(grid: int) -> dict[str, int]:
    """Target name -> number of classes, the last of them background."""
    objects = {
        "colour": len(COLOURS),
        "shape": len(SHAPES) + 1,
        "size": len(SIZES),
        "depth": DEPTH_BINS,
        "column": grid,
        "row": grid,
    }
    return {name: n + 1 for name, n in objects.items()}


def target_names() -> tuple[str, ...]:
    return tuple(_classes(1))


def _labels(scene: Scene, index: int, grid: int) -> list[int]:
    o = scene.objects[index]
    return [
        list(COLOURS).index(o.colour),
        (*SHAPES, SIGN).index(o.shape),
        list(SIZES).index(o.size),
        min(DEPTH_BINS - 1, int(o.depth * DEPTH_BINS)),
        *centre_cell(o, grid),
    ]


def patch_targets(scene: Scene, grid: int) -> torch.Tensor:
    """``[grid * grid, 6]`` class indices in raster order (row by row), one column per :func:`target_names`;
    a patch showing no object (under :data:`COVER`) gets each target's background class."""
    side = PIXELS_PER_PATCH
    ids = np.asarray(object_map(scene, grid * side)).reshape(grid, side, grid, side).swapaxes(1, 2)
    background = [n - 1 for n in _classes(grid).values()]
    out = []
    for cell in ids.reshape(grid * grid, side * side):
        counts = np.bincount(cell, minlength=len(scene.objects) + 1)
        top = int(counts[1:].argmax()) if len(counts) > 1 else 0
        covered = counts[top + 1] >= COVER * side * side
        out.append(_labels(scene, top, grid) if covered else background)
    return torch.tensor(out)


def _patch_features(model: LlavaForConditionalGeneration, pixels: torch.Tensor) -> torch.Tensor:
    """The patch features Llava hands its projector (the layer and CLS handling of its config)."""
    hidden = model.model.vision_tower(pixels, output_hidden_states=True).hidden_states
    return hidden[model.config.vision_feature_layer][:, 1:]


def pretrain_vision(
    model: LlavaForConditionalGeneration,
    processor: LlavaProcessor,
    images: Sequence[Image.Image],
    scenes: Sequence[Scene],
    args: VLMTrainArgs,
    held_out: tuple[Sequence[Image.Image], Sequence[Scene]] | None = None,
    device: str | torch.device = "cpu",
) -> dict[str, float]:
    """Train ``model``'s vision tower in place on :func:`patch_targets` through a linear head (dropped
    afterwards) for ``args.minutes`` (or ``args.max_steps``), with ``args``' batch, learning rate,
    warmup and cosine schedule; returns patch accuracy per target on ``held_out`` (if given)."""
    if len(images) != len(scenes) or not scenes:
        raise ValueError(f"need as many images as scenes (and some), got {len(images)} and {len(scenes)}")
    start = time.perf_counter()  # the budget includes labelling the patches
    tower, vision = model.model.vision_tower, model.config.vision_config
    grid = vision.image_size // vision.patch_size
    sizes = list(_classes(grid).values())
    pixels, targets = _inputs(processor, images, scenes, grid)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(args.seed)
        head = torch.nn.Linear(vision.hidden_size, sum(sizes)).to(device)
    opt = torch.optim.AdamW(
        [*tower.parameters(), *head.parameters()], args.lr, weight_decay=args.weight_decay
    )
    draw = torch.Generator().manual_seed(args.seed)
    autocast = torch.autocast(torch.device(device).type, torch.bfloat16, enabled=args.precision == "bf16")
    tower.train()
    budget, step = 60 * args.minutes, 0
    while (now := time.perf_counter() - start) < budget and (args.max_steps is None or step < args.max_steps):
        idx = torch.randint(len(pixels), (args.batch_size,), generator=draw)
        for group in opt.param_groups:
            group["lr"] = args.lr * lr_scale(args, step, now / budget)
        with autocast:
            logits = head(_patch_features(model, pixels[idx].to(device)))
        truth = targets[idx].to(device)
        loss = sum(
            torch.nn.functional.cross_entropy(part.flatten(0, 1).float(), truth[..., k].flatten())
            for k, part in enumerate(logits.split(sizes, dim=-1))
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tower.parameters(), 1.0)
        opt.step()
        step += 1
    if held_out is None:
        return {"steps": step}
    return {
        "steps": step,
        **_accuracy(model, head, *_inputs(processor, *held_out, grid), sizes, device, autocast),
    }


def _inputs(
    processor: LlavaProcessor, images: Sequence[Image.Image], scenes: Sequence[Scene], grid: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel values as the model sees them, and every patch's targets."""
    pixels = processor.image_processor(list(images), return_tensors="pt")["pixel_values"]
    return pixels, torch.stack([patch_targets(s, grid) for s in scenes])


@torch.no_grad()
def _accuracy(
    model: LlavaForConditionalGeneration,
    head: torch.nn.Linear,
    pixels: torch.Tensor,
    truth: torch.Tensor,
    sizes: list[int],
    device: str | torch.device,
    autocast: torch.autocast,
) -> dict[str, float]:
    """Patch accuracy per target, over patches that show an object (background is the easy majority)."""
    truth = truth.to(device)
    model.eval()
    with autocast:
        logits = head(_patch_features(model, pixels.to(device)))
    shown = truth[..., 0] != sizes[0] - 1
    right = [(part.argmax(-1) == truth[..., k])[shown] for k, part in enumerate(logits.split(sizes, dim=-1))]
    return {name: r.float().mean().item() for name, r in zip(target_names(), right, strict=True)}

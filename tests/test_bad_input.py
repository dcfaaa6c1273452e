"""Every `modgap` command given bad input: one clear message and exit 2, never a traceback or a silent run.

Each row is (command line, exit code, a substring the message must contain). Placeholders in braces
are the module's fixtures: ``{world}`` a 6-scene world, ``{suite}`` a 2-instance suite, ``{file}`` an
existing text file, ``{dir}`` an empty folder, ``{missing}`` a path that does not exist, and the damaged
inputs named below. Every row fails at validation, before a model loads or training starts.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modgap.cli import app

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})

OPENAI = "openai:m@http://127.0.0.1:9/v1"
"""A served model nobody answers at: rows using it must fail before the first request."""

# Commands many rows extend (click keeps the last of a repeated option, so a row can override one).
FONE_TRAIN = "fone train --out {out}/t"
FONE_EVAL = "fone eval --checkpoint {fone_truncated}"
FONE_SWEEP = "fone sweep --out {out}/s"
GEN = "bench generate --out {out}/g"
RUN = f"bench run --model {OPENAI} --suite {{suite}} --out {{out}}/run --no-cache"
RUN_ON = f"bench run --model {OPENAI} --no-cache --out {{out}}/run"
TRAIN_VLM = "world train-vlm --world {world} --out {out}/vlm"
EVAL = f"world eval --model {OPENAI} --world {{world}}"
CAPTIONS = "world captions --model hf:{model} --world {world} --device cpu"
EXTRACT = "steer extract --model hf:{model}"
APPLY = "steer apply --vector {vector} --layer 0 --alpha 1 --prompt hi --device cpu"
SWEEP = "steer sweep --vector {vector} --data {world} --held-out 3 --out {out}/sweep --device cpu"
DATA = "tldr data --out {out}/d.jsonl"
TRAIN = "tldr train --backbone hf:{model} --data {pairs} --out {out}/r"
SCORE = "tldr score --reward {reward} --data {pairs} --out {out}/s"
RATE = "tldr rate --reward {reward} --captioner hf:{model} --out {out}/rate --device cpu"
CORRECT = "tldr correct --reward {reward} --captioner hf:x --data {pairs} --out {out}/c"

# Messages many rows expect (typer's own range check says "Input should be …").
GE0 = "should be greater than or equal to 0"
GE1 = "should be greater than or equal to 1"
TPU = "'tpu' is not one of auto, cpu, cuda"
AS_FILE = "is a file, not a folder"
N_RANGE = "Invalid value for '--n': must be between 1 and 1,000,000 per task"
HELD_OUT = "has 6 scenes; --held-out must be"

ROWS: list[tuple[str, int, str]] = [
    # ---- fone encode
    ("fone encode abc", 2, "not a number: 'abc'"),
    ("fone encode nan", 2, "FoNE needs a finite number"),
    ("fone encode -- -inf", 2, "FoNE needs a finite number"),
    ("fone encode 1 --int-digits 100000", 2, "should be less than or equal to 1000"),
    ("fone encode 1 --int-digits -1", 2, GE0),
    ("fone encode 1 --frac-digits 5000", 2, "should be less than or equal to 1000"),
    ("fone encode 1e100000", 2, "needs 100001 integer places; at most 1000"),
    ("fone encode 123 --int-digits 2", 2, "more than int_digits=2 integer digits"),
    ("fone encode 12.5 --frac-digits 0", 2, "more than frac_digits=0 fractional digits"),
    ("fone encode 0 --int-digits 0 --frac-digits 0", 2, "at least one digit"),
    ("fone encode 1 --int-digits x", 2, "Input should be a valid integer"),
    ("fone encode", 2, "Missing argument 'number'"),
    # ---- fone train
    ("fone train --out {file}", 2, AS_FILE),
    (f"{FONE_TRAIN} --method roman", 2, "unknown method 'roman'"),
    (f"{FONE_TRAIN} --task div", 2, "'div' is not one of add, sub, mul"),
    (f"{FONE_TRAIN} --digits 0", 2, GE1),
    (f"{FONE_TRAIN} --digits 100000", 2, "should be less than or equal to 100"),
    (f"{FONE_TRAIN} --decimals -1", 2, GE0),
    (f"{FONE_TRAIN} --size 9x9", 2, "unknown model size '9x9'"),
    (f"{FONE_TRAIN} --projection diag", 2, "'diag' is not one of pad, linear"),
    (f"{FONE_TRAIN} --train-size 0", 2, GE1),
    (f"{FONE_TRAIN} --train-size 100000000000", 2, "should be less than or equal to 10000000"),
    (f"{FONE_TRAIN} --val-size -5", 2, GE1),
    (f"{FONE_TRAIN} --test-size 0", 2, GE1),
    (f"{FONE_TRAIN} --minutes nan", 2, "must be a finite number > 0, got nan"),
    (f"{FONE_TRAIN} --minutes 0", 2, "must be a finite number > 0, got 0.0"),
    (f"{FONE_TRAIN} --minutes -1", 2, "must be a finite number > 0, got -1.0"),
    (f"{FONE_TRAIN} --epochs 0", 2, GE1),
    (f"{FONE_TRAIN} --batch-size 0", 2, GE1),
    (f"{FONE_TRAIN} --lr nan", 2, "must be a finite number > 0, got nan"),
    (f"{FONE_TRAIN} --lr -1", 2, "must be a finite number > 0, got -1.0"),
    (f"{FONE_TRAIN} --lr inf", 2, "must be a finite number > 0, got inf"),
    (f"{FONE_TRAIN} --device tpu", 2, TPU),
    # ---- fone eval
    ("fone eval --checkpoint {missing}", 2, "config.json not found"),
    ("fone eval --checkpoint {file}", 2, "config.json not found"),
    ("fone eval --checkpoint {fone_badjson}", 2, "config.json is not a valid fone run config"),
    (f"{FONE_EVAL}", 2, "model.safetensors: not a readable safetensors file"),
    (f"{FONE_EVAL} --n 0", 2, GE1),
    (f"{FONE_EVAL} --n -3", 2, GE1),
    (f"{FONE_EVAL} --n 1000000000", 2, "should be less than or equal to 1000000"),
    (f"{FONE_EVAL} --digits 0", 2, GE1),
    (f"{FONE_EVAL} --decimals -1", 2, GE0),
    (f"{FONE_EVAL} --task div", 2, "'div' is not one of add, sub, mul"),
    (f"{FONE_EVAL} --device tpu", 2, TPU),
    # ---- fone sweep
    ("fone sweep --out {file}", 2, AS_FILE),
    (f"{FONE_SWEEP} --methods fone,roman", 2, "unknown method 'roman'"),
    (f"{FONE_SWEEP} --sizes 9x9", 2, "unknown model size '9x9'"),
    (f"{FONE_SWEEP} --train-sizes 100,abc", 2, "cannot read '100,abc' as integers"),
    (f"{FONE_SWEEP} --train-sizes 0", 2, "training-set sizes must be >= 1"),
    (f"{FONE_SWEEP} --train-sizes ,", 2, "--train-sizes names no training-set size"),
    (f"{FONE_SWEEP} --methods ,", 2, "--methods names no method"),
    (f"{FONE_SWEEP} --minutes nan", 2, "must be a finite number > 0, got nan"),
    (f"{FONE_SWEEP} --epochs 0", 2, GE1),
    (f"{FONE_SWEEP} --test-size 0", 2, GE1),
    (f"{FONE_SWEEP} --digits 0", 2, GE1),
    (f"{FONE_SWEEP} --task pow", 2, "'pow' is not one of add, sub, mul"),
    (f"{FONE_SWEEP} --device tpu", 2, TPU),
    # ---- bench generate
    ("bench generate --out {file}", 2, AS_FILE),
    (f"{GEN} --tasks nope", 2, "unknown task(s) ['nope']"),
    (f"{GEN} --tasks ,", 2, "unknown task(s)"),
    (f"{GEN} --n 0", 2, f"{N_RANGE}, got 0"),
    (f"{GEN} --n -5", 2, f"{N_RANGE}, got -5"),
    (f"{GEN} --n 1000000000000", 2, N_RANGE),
    (f"{GEN} --n abc", 2, "'--n': must be an integer or 'isobench', got 'abc'"),
    (f"{GEN} --n 1e12", 2, "'--n': must be an integer or 'isobench', got '1e12'"),
    (f"{GEN} --workers -1", 2, GE0),
    (f"{GEN} --modalities smell", 2, "unknown modalities ['smell']"),
    # ---- bench gallery
    ("bench gallery {missing}", 2, "missing not found: is"),
    ("bench gallery {file}", 2, "file.txt:1: not a record of a suite"),
    ("bench gallery {empty}", 2, "empty.jsonl holds no records"),
    ("bench gallery {suite_no_fields}", 2, "instances.jsonl:1: not a record of a suite"),
    ("bench gallery {suite_empty}", 2, "holds no records"),
    ("bench gallery {suite_list_line}", 2, "instances.jsonl:1: not a record of a suite"),
    ("bench gallery {suite} --out {dir}", 2, "is a folder, not a file"),
    ("bench gallery {suite} --per-task 0", 2, GE1),
    ("bench gallery {suite} --per-task -1", 2, GE1),
    # ---- bench export
    ("bench export {missing} --out {out}/x.parquet", 2, "missing not found: is"),
    ("bench export {suite_no_fields} --out {out}/x.parquet", 2, "is missing ['answer', 'choices', 'fields']"),
    ("bench export {empty} --out {out}/x.parquet", 2, "empty.jsonl holds no records"),
    ("bench export {suite} --out {file}", 2, AS_FILE),
    # ---- bench import
    ("bench import {missing}", 2, "not found"),
    ("bench import {dir} --out {out}/imported", 2, "no .parquet files under"),
    ("bench import {dir} --out {file}", 2, AS_FILE),
    # ---- bench run
    (f"{RUN} --out {{file}}", 2, AS_FILE),
    ("bench run --model nope --suite {suite} --out {out}/run", 2, "model spec 'nope' is not one of"),
    (f"{RUN_ON} --suite {{missing}}", 2, "missing not found: is"),
    (f"{RUN} --reps foo", 2, "unknown representation(s) ['foo']"),
    (f"{RUN} --reps ,", 2, "--reps names no representation"),
    (f"{RUN} --reps fen", 2, "no jobs: the suite's tasks have none of the representations fen"),
    (f"{RUN} --strategies magic", 2, "unknown strategies ['magic']"),
    (f"{RUN} --temperature nan", 2, "must be a finite number >= 0, got nan"),
    (f"{RUN} --temperature inf", 2, "must be a finite number >= 0, got inf"),
    (f"{RUN} --temperature -1", 2, "must be a finite number >= 0, got -1.0"),
    (f"{RUN} --concurrency 0", 2, GE1),
    (f"{RUN} --max-tokens 0", 2, GE1),
    (f"{RUN} --limit 0", 2, GE1),
    (f"{RUN} --device tpu", 2, TPU),
    (f"{RUN} --video-as gif", 2, "'gif' is not one of frames, video_url"),
    (f"{RUN} --cache {{dir}}", 2, "is a folder, not a file"),
    (f"{RUN_ON} --suite {{suite_empty}}", 2, "holds no records"),
    (f"{RUN_ON} --suite {{suite_unknown_task}}", 2, "unknown task(s) ['nope'] in the suite"),
    (f"{RUN} --judge nope", 2, "model spec 'nope' is not one of"),
    # ---- bench report
    ("bench report {missing}", 2, "has no config.json"),
    ("bench report {run_task_int} --out {out}/report", 2, "'task' must be a string, got 123"),
    ("bench report {run_correct_str} --out {out}/report", 2, "'correct' must be true or false"),
    ("bench report {run_bad_line} --out {out}/report", 2, "results.jsonl:1: not a JSON record"),
    ("bench report {run_bad_config} --out {out}/report", 2, "config.json: not valid JSON"),
    ("bench report {run_task_int} --out {file}", 2, AS_FILE),
    ("bench report {run_task_int} --n-boot 0", 2, GE1),
    ("bench report", 2, "Missing argument 'runs'"),
    # ---- serve
    ("serve --model nope", 2, "model spec 'nope' is not one of"),
    ("serve --model openai:gpt-4o", 2, "serve needs a local model's weights"),
    ("serve --model hf:{missing}", 2, "no Hugging Face model at"),
    ("serve --model hf:{model_truncated} --device cpu", 2, "model.safetensors: not a readable"),
    ("serve --model smollm2 --device tpu", 2, TPU),
    ("serve --model smollm2 --batch-size 0", 2, GE1),
    # ---- world generate
    ("world generate --out {file}", 2, AS_FILE),
    ("world generate --out {out}/w --n 0", 2, GE1),
    ("world generate --out {out}/w --n -3", 2, GE1),
    ("world generate --out {out}/w --min-objects 5 --max-objects 2", 2, "max_objects must be in"),
    ("world generate --out {out}/w --min-objects 0", 2, "min_objects must be in [1, 8], got 0"),
    ("world generate --out {out}/w --image-size 100000", 2, "image_size must be in [32, 1024]"),
    ("world generate --out {out}/w --colours red,teal", 2, "colours must be a non-empty subset"),
    ("world generate --out {out}/w --shapes blob", 2, "shapes must be a non-empty subset"),
    ("world generate --out {out}/w --spacing nan", 2, "spacing must be in [0.3, 2], got nan"),
    ("world generate --out {out}/w --text-prob 1.5", 2, "text_prob must be in [0, 1], got 1.5"),
    ("world generate --out {out}/w --text-prob nan", 2, "text_prob must be in [0, 1], got nan"),
    # ---- world train-vlm
    ("world train-vlm --world {missing} --out {out}/vlm", 2, "missing not found: is"),
    ("world train-vlm --world {world} --out {file}", 2, AS_FILE),
    (f"{TRAIN_VLM} --held-out 0", 2, GE1),
    (f"{TRAIN_VLM} --held-out 6", 2, HELD_OUT),
    (f"{TRAIN_VLM} --minutes nan", 2, "must be a finite number > 0"),
    (f"{TRAIN_VLM} --minutes 0", 2, "must be a finite number > 0"),
    (f"{TRAIN_VLM} --batch-size 0", 2, GE1),
    (f"{TRAIN_VLM} --lr nan", 2, "must be a finite number > 0, got nan"),
    (f"{TRAIN_VLM} --draws -1", 2, GE0),
    (f"{TRAIN_VLM} --per-kind -1", 2, GE0),
    (f"{TRAIN_VLM} --grounding -1", 2, GE0),
    (f"{TRAIN_VLM} --halves -1", 2, GE0),
    (f"{TRAIN_VLM} --vision-minutes nan", 2, "must be a finite number"),
    (f"{TRAIN_VLM} --precision fp8", 2, "precision must be one of bf16, no, got 'fp8'"),
    (f"{TRAIN_VLM} --eval-every 0", 2, GE1),
    (f"{TRAIN_VLM} --device tpu", 2, "'tpu' is not one of cpu, cuda"),
    # ---- world eval
    ("world eval --model nope --world {world} --held-out 3", 2, "model spec 'nope' is not one of"),
    (f"{EVAL} --world {{missing}}", 2, "missing not found: is"),
    (f"{EVAL} --held-out 0", 2, GE1),
    (f"{EVAL} --held-out -5", 2, GE1),
    (f"{EVAL} --held-out 6", 2, HELD_OUT),
    (f"{EVAL} --held-out 100", 2, HELD_OUT),
    (f"{EVAL} --concurrency 0", 2, GE1),
    (f"{EVAL} --device tpu", 2, TPU),
    (f"{EVAL} --world {{world_bad_line}}", 2, "world.jsonl:2: not a record"),
    # ---- world captions
    ("world captions --model openai:gpt-4o --world {world}", 2, "captions need a local world VLM"),
    (f"{CAPTIONS} --held-out 0", 2, GE1),
    (f"{CAPTIONS} --held-out 7", 2, HELD_OUT),
    (f"{CAPTIONS} --held-out -1", 2, GE1),
    (f"{CAPTIONS} --n 0", 2, GE1),
    (f"{CAPTIONS} --max-new-tokens 0", 2, GE1),
    ("world captions --model hf:{model} --world {world} --device tpu", 2, "'tpu' is not one of"),
    ("world captions --model hf:{model} --world {missing}", 2, "missing not found: is"),
    # ---- steer extract
    (f"{EXTRACT} --method magic", 2, "'magic' is not one of meanshift, probe, sae"),
    (f"{EXTRACT} --concept nope", 2, "'nope' is neither a built-in concept"),
    (f"{EXTRACT} --concept {{empty}}", 2, "empty.jsonl holds no records"),
    (f"{EXTRACT} --concept {{bad_line}}", 2, "bad.jsonl:1: not a record"),
    (f"{EXTRACT} --concept {{list_line}}", 2, "list.jsonl:1: not a record"),
    (f"{EXTRACT} --test-fraction 1.5", 2, "must be between 0 and 1 (both excluded)"),
    (f"{EXTRACT} --test-fraction 0", 2, "must be between 0 and 1 (both excluded)"),
    (f"{EXTRACT} --test-fraction nan", 2, "must be between 0 and 1 (both excluded)"),
    (f"{EXTRACT} --method diffmean", 2, "--method diffmean and --pairs FILE go together"),
    (f"{EXTRACT} --method diffmean --pairs {{missing}}", 2, "not found"),
    (f"{EXTRACT} --method sae --sae {{garbage}} --sae-layer 0", 2, "not a readable"),
    (f"{EXTRACT} --method sae --sae {{garbage}}", 2, "--sae and --sae-layer go together"),
    (f"{EXTRACT} --method sae --sae-layer 0", 2, "--sae and --sae-layer go together"),
    (f"{EXTRACT} --layers 99", 2, "has 2 decoder layers (0-1); --layers asks for 99"),
    (f"{EXTRACT} --layers -1", 2, "cannot read '-1' as integers"),
    (f"{EXTRACT} --layers abc", 2, "cannot read 'abc' as integers"),
    (f"{EXTRACT} --layers 5-2", 2, "--layers '5-2' names no layer"),
    (f"{EXTRACT} --gguf {{dir}}", 2, "is a folder, not a file"),
    (f"{EXTRACT} --device tpu", 2, TPU),
    ("steer extract --model openai:gpt-4o", 2, "steering needs a local model's weights"),
    ("steer extract --model hf:{missing}", 2, "no Hugging Face model at"),
    (f"{EXTRACT} --world {{missing}}", 2, "missing not found: is"),
    ("steer extract --model hf:{model_truncated} --layers 0", 2, "model.safetensors: not a readable"),
    # ---- steer apply
    ("steer apply --vector {missing} --layer 0 --alpha 1 --prompt hi", 2, "not found"),
    ("steer apply --vector {vector_garbage} --layer 0 --alpha 1 --prompt hi", 2, "not a readable"),
    (f"{APPLY} --alpha nan", 2, "must be a finite number, got nan"),
    (f"{APPLY} --alpha -inf", 2, "must be a finite number, got -inf"),
    ("steer apply --vector {vector} --layer 99 --alpha 1 --prompt hi", 2, "has no layer 99; it has [0, 1]"),
    ("steer apply --vector {vector} --layer -1 --alpha 1 --prompt hi", 2, "has no layer -1"),
    (f"{APPLY} --positions sideways", 2, "'sideways' is not one of image, text, both, all"),
    (f"{APPLY} --image {{not_an_image}}", 2, "passwd.png (image) is not an image"),
    (f"{APPLY} --image {{missing}}", 2, "missing (image) not found"),
    (f"{APPLY} --max-tokens 0", 2, GE1),
    (f"{APPLY} --device tpu", 2, TPU),
    (f"{APPLY} --model openai:gpt-4o", 2, "steering needs a local model's weights"),
    # ---- steer sweep
    ("steer sweep --vector {missing} --data {world} --out {out}/sweep", 2, "not found"),
    ("steer sweep --vector {vector} --data {missing} --out {out}/sweep", 2, "is neither a world folder"),
    ("steer sweep --vector {vector} --data {empty} --out {out}/sweep", 2, "empty.jsonl holds no records"),
    ("steer sweep --vector {vector} --data {bad_line} --out {out}/sweep", 2, "bad.jsonl:1: not a record"),
    (f"{SWEEP} --held-out 0", 2, GE1),
    (f"{SWEEP} --held-out 6", 2, HELD_OUT),
    (f"{SWEEP} --held-out 50", 2, HELD_OUT),
    (f"{SWEEP} --n 0", 2, GE1),
    (f"{SWEEP} --n -1", 2, GE1),
    (f"{SWEEP} --dev-fraction 1.5", 2, "must be between 0 and 1 (both excluded)"),
    (f"{SWEEP} --dev-fraction 0", 2, "must be between 0 and 1 (both excluded)"),
    (f"{SWEEP} --alphas 1,nan", 2, "--alphas must be finite numbers, got nan"),
    (f"{SWEEP} --alphas abc", 2, "cannot read 'abc' as comma-separated numbers"),
    (f"{SWEEP} --alphas ,", 2, "--alphas names no strength"),
    (f"{SWEEP} --layers 99 --model hf:{{model}}", 2, "has 2 decoder layers (0-1); --layers asks for 99"),
    (f"{SWEEP} --layers ,", 2, "--layers ',' names no layer"),
    (f"{SWEEP} --positions sideways", 2, "unknown positions ['sideways']"),
    (f"{SWEEP} --kinds nope", 2, "no questions of kind nope"),
    ("steer sweep --vector {vector} --data {world} --out {file}", 2, AS_FILE),
    (f"{SWEEP} --device tpu", 2, TPU),
    # ---- tldr data
    ("tldr data --world {world} --out {dir}", 2, "is a folder, not a file"),
    (f"{DATA}", 2, "give exactly one of --world and --pairs"),
    (f"{DATA} --world {{world}} --pairs {{pairs}}", 2, "give exactly one of"),
    (f"{DATA} --world {{missing}}", 2, "missing not found: is"),
    (f"{DATA} --world {{world}} --start 5 --stop 2", 2, "--start 5 must be below --stop 2"),
    (f"{DATA} --world {{world}} --start -1", 2, GE0),
    (f"{DATA} --world {{world}} --start 6", 2, "has 6 scenes; --start 6 is past"),
    (f"{DATA} --world {{world}} --types nope", 2, "unknown type(s) ['nope']"),
    (f"{DATA} --pairs {{empty}}", 2, "empty.jsonl holds no records"),
    (f"{DATA} --pairs {{bad_line}}", 2, "bad.jsonl:1: not a record"),
    (f"{DATA} --pairs {{pairs_not_image}}", 2, "passwd.png (image) is not an image"),
    (f"{DATA} --pairs {{pairs}} --captioner hf:x", 2, "--captioner captions world"),
    (f"{DATA} --world {{world}} --device tpu", 2, TPU),
    # ---- tldr train
    ("tldr train --backbone openai:x --data {pairs} --out {out}/r", 2, "needs a local model's weights"),
    ("tldr train --backbone hf:{model} --data {missing} --out {out}/r", 2, "not found"),
    ("tldr train --backbone hf:{model} --data {empty} --out {out}/r", 2, "empty.jsonl holds no records"),
    ("tldr train --backbone hf:{model} --data {pairs} --out {file}", 2, AS_FILE),
    (f"{TRAIN} --epochs 0", 2, "finite number > 0"),
    (f"{TRAIN} --epochs nan", 2, "finite number > 0"),
    (f"{TRAIN} --minutes nan", 2, "finite number > 0"),
    (f"{TRAIN} --batch-size 0", 2, GE1),
    (f"{TRAIN} --lr nan", 2, "finite number > 0"),
    (f"{TRAIN} --lora-rank 0", 2, GE1),
    (f"{TRAIN} --lora-alpha nan", 2, "finite number"),
    (f"{TRAIN} --device tpu", 2, "'tpu' is not one of"),
    ("tldr train --backbone hf:{model} --data {pairs} --eval {bad_line} --out {out}/r", 2, "bad.jsonl:1"),
    # ---- tldr score
    ("tldr score --reward {missing} --data {pairs} --out {out}/s", 2, "reward_config.json"),
    (f"{SCORE} --reward {{bad_reward}}", 2, "reward_config.json: not valid JSON"),
    ("tldr score --reward {reward} --data {empty} --out {out}/s", 2, "empty.jsonl holds no records"),
    ("tldr score --reward {reward} --data {pairs} --out {file}", 2, AS_FILE),
    (f"{SCORE} --threshold 1.5", 2, "between 0 and 1"),
    (f"{SCORE} --threshold nan", 2, "between 0 and 1"),
    (f"{SCORE} --device tpu", 2, "'tpu' is not one of"),
    # ---- tldr rate
    (f"{RATE} --images {{world}} --held-out 0", 2, GE1),
    (f"{RATE} --images {{world}} --held-out 6", 2, HELD_OUT),
    (f"{RATE} --images {{world}} --held-out 60", 2, HELD_OUT),
    (f"{RATE} --images {{world}} --n 0", 2, GE1),
    (f"{RATE} --images {{missing}}", 2, "is not a world folder, a JSONL of images or a folder of images"),
    (f"{RATE} --images {{empty}}", 2, "empty.jsonl holds no records"),
    (f"{RATE} --images {{dir}}", 2, "has no .png or .jpg images"),
    (f"{RATE} --images {{world}} --max-tokens 0", 2, GE1),
    ("tldr rate --reward {reward} --captioner x --images {world} --out {file}", 2, "is a file"),
    # ---- tldr correct
    (f"{CORRECT} --reward {{missing}}", 2, "reward_config.json"),
    (f"{CORRECT} --data {{missing}}", 2, "missing not found: is"),
    (f"{CORRECT} --out {{file}}", 2, AS_FILE),
    (f"{CORRECT} --device tpu", 2, TPU),
    # ---- tldr merge
    ("tldr merge --reward {reward} --tau nan --out {out}/m", 2, "must be a finite number >= 0, got nan"),
    ("tldr merge --reward {reward} --tau -1 --out {out}/m", 2, "must be a finite number >= 0, got -1.0"),
    ("tldr merge --reward {missing} --tau 1 --out {out}/m", 2, "reward_config.json"),
    ("tldr merge --reward {reward} --tau 1 --out {file}", 2, AS_FILE),
    # ---- demo
    ("demo --only nope", 2, "unknown demo part(s) ['nope']"),
    ("demo --only ,", 2, "--only names no part"),
    ("demo --out {file}", 2, AS_FILE),
]


def build_inputs(tmp: Path) -> dict[str, str]:
    """The inputs the rows name, in ``tmp``: small valid ones and damaged ones."""
    import torch
    from PIL import Image
    from transformers import LlamaConfig

    from modgap.isobench.suite import generate, write_suite
    from modgap.steer.vectors import SteeringVector
    from modgap.world import generate_world

    p = {"missing": tmp / "missing", "dir": tmp / "dir", "file": tmp / "file.txt"}
    p["dir"].mkdir()
    p["file"].write_text("hello\n")
    p["empty"] = tmp / "empty.jsonl"
    p["empty"].write_text("")
    p["bad_line"] = tmp / "bad.jsonl"
    p["bad_line"].write_text("{not json\n")
    p["list_line"] = tmp / "list.jsonl"
    p["list_line"].write_text("[1, 2]\n")
    p["not_an_image"] = tmp / "passwd.png"
    p["not_an_image"].write_text("root:x:0:0:root:/root:/bin/bash\n")
    p["garbage"] = tmp / "sae.safetensors"
    p["garbage"].write_bytes(b"\x00garbage, not safetensors" * 8)

    p["world"] = tmp / "world"
    generate_world(6, 0, p["world"])
    p["world_bad_line"] = tmp / "world-bad"
    p["world_bad_line"].mkdir()
    lines = (p["world"] / "world.jsonl").read_text().splitlines()
    (p["world_bad_line"] / "world.jsonl").write_text(lines[0] + "\n{torn\n")

    p["suite"] = tmp / "suite"
    write_suite(generate(["math_parity"], 2, workers=1), p["suite"], {})
    record = json.loads((p["suite"] / "instances.jsonl").read_text().splitlines()[0])
    for name, text in (
        ("suite_unknown_task", json.dumps({**record, "task": "nope"}) + "\n"),
        ("suite_empty", ""),
        ("suite_list_line", "[1]\n"),
        ("suite_no_fields", '{"task": "math_parity"}\n'),
    ):
        p[name] = tmp / name
        p[name].mkdir()
        (p[name] / "instances.jsonl").write_text(text)

    result = {"key": "a|latex|direct", "instance_id": "a", "task": "math_parity", "domain": "math"}
    result |= {"representation": "latex", "strategy": "direct", "correct": True}
    for name, config, results in (
        ("run_task_int", {"model": "m"}, json.dumps({**result, "task": 123}) + "\n"),
        ("run_correct_str", {"model": "m"}, json.dumps({**result, "correct": "no"}) + "\n"),
        ("run_bad_line", {"model": "m"}, "{torn\n" + json.dumps(result) + "\n"),
        ("run_bad_config", None, json.dumps(result) + "\n"),
    ):
        p[name] = tmp / name
        p[name].mkdir()
        (p[name] / "config.json").write_text("{oops" if config is None else json.dumps(config))
        (p[name] / "results.jsonl").write_text(results)

    # a 2-layer Llama: config only (layer checks read no weights), and with truncated weights
    config = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)
    p["model"] = tmp / "llama"
    config.save_pretrained(p["model"])
    p["model_truncated"] = tmp / "llama-truncated"
    config.save_pretrained(p["model_truncated"])
    (p["model_truncated"] / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")

    p["fone_truncated"] = tmp / "fone"
    p["fone_truncated"].mkdir()
    (p["fone_truncated"] / "config.json").write_text(json.dumps({"spec": {"int_digits": 2}}))
    (p["fone_truncated"] / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    p["fone_badjson"] = tmp / "fone-bad"
    p["fone_badjson"].mkdir()
    (p["fone_badjson"] / "config.json").write_text("{oops")
    (p["fone_badjson"] / "model.safetensors").write_bytes(b"")

    p["vector"] = tmp / "vector"
    SteeringVector({0: torch.ones(32), 1: torch.ones(32)}, "meanshift", "spatial").save(p["vector"])
    p["vector_garbage"] = tmp / "vector-garbage"
    (tmp / "vector-garbage.json").write_text(json.dumps({"method": "meanshift", "concept": "x"}))
    (tmp / "vector-garbage.safetensors").write_bytes(b"\xff" * 64)

    Image.new("RGB", (32, 32), "red").save(tmp / "red.png")
    p["pairs"] = tmp / "pairs.jsonl"
    p["pairs"].write_text(json.dumps({"image": "red.png", "caption": "a red square ."}) + "\n")
    p["pairs_not_image"] = tmp / "pairs-passwd.jsonl"
    p["pairs_not_image"].write_text(json.dumps({"image": "passwd.png", "caption": "a cat ."}) + "\n")

    p["reward"] = tmp / "reward"  # no reward_config.json: the rows naming it fail before reading it
    p["reward"].mkdir()
    p["bad_reward"] = tmp / "reward-bad"
    p["bad_reward"].mkdir()
    (p["bad_reward"] / "reward_config.json").write_text("{oops")
    return {k: str(v) for k, v in p.items()}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, str]:
    return build_inputs(tmp_path_factory.mktemp("bad-input"))


def command_line(line: str, inputs: dict[str, str], out: Path) -> list[str]:
    """The row's arguments with its placeholders filled in; ``{out}`` is a fresh folder per row."""
    return [arg.format_map({**inputs, "out": str(out)}) for arg in shlex.split(line)]


@pytest.mark.parametrize(("line", "code", "expect"), ROWS, ids=[row[0] for row in ROWS])
def test_bad_input_is_one_clear_error(inputs, tmp_path, line, code, expect):
    result = runner.invoke(app, command_line(line, inputs, tmp_path))
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert "Traceback" not in output
    assert result.exit_code == code, output
    assert expect in " ".join(output.split()), output
    # one message: our `error: …` line (beside at most a progress bar that never moved) or typer's box
    lines = [line for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    boxes = [line for line in lines if "─ Error ─" in line]
    assert len(errors) + len(boxes) == 1, output
    if errors:
        assert all(line in errors or " 0/" in line for line in lines), output


def test_the_table_covers_every_command():
    """Each command of every area's cli.py appears in at least one row, and there are >= 150 rows."""
    import typer.main

    commands = set()
    root = typer.main.get_command(app)
    for name, command in root.commands.items():
        sub = getattr(command, "commands", None)
        commands |= {f"{name} {s}" for s in sub} if sub else {name}
    covered = {" ".join(row[0].split()[:2]) for row in ROWS} | {row[0].split()[0] for row in ROWS}
    assert commands <= covered, sorted(commands - covered)
    assert len(ROWS) >= 150

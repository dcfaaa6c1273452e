from decimal import Decimal

import pytest
import torch
from transformers import DynamicCache

from modgap.fone.arithmetic import ArithmeticTask, sample_problems
from modgap.fone.methods import METHODS, ModelSpec, build_model
from modgap.fone.train import TrainArgs, score, train


@pytest.mark.parametrize("method", METHODS)
def test_every_method_prepares_computes_a_loss_and_predicts(method):
    spec = ModelSpec(method=method, size="1x64", op="add", int_digits=3, frac_digits=2)
    torch.manual_seed(0)
    model = build_model(spec)
    problems = sample_problems(spec.task, 8, seed=0)
    loss = model.loss(model.prepare(problems))
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None for p in model.backbone.layers.parameters())
    preds = model.predict(problems)
    assert len(preds) == 8 and all(p is None or isinstance(p, int | Decimal) for p in preds)


def test_subword_cuts_numbers_into_runs_of_up_to_three_digits():
    model = build_model(ModelSpec(method="subword", size="1x64", int_digits=6))
    pieces = model.tokenizer.encode("1234567+89=").tokens
    assert pieces == ["123", "456", "7", "+", "89", "="]


def test_abacus_reverses_numbers_and_counts_places_within_each():
    model = build_model(ModelSpec(method="abacus", size="1x64", int_digits=3))
    ids = torch.tensor([model._encode("120+35=")])
    assert [model.tokenizer.id_to_token(i) for i in ids[0].tolist()] == ["0", "2", "1", "+", "5", "3", "="]
    assert model._places(ids).tolist() == [[1, 2, 3, 0, 1, 2, 0]]


def test_fone_abacus_digit_embeddings_are_their_fourier_features():
    model = build_model(ModelSpec(method="fone+abacus", size="1x64", int_digits=3))
    ids = torch.tensor([[model.vocab["7"]]])
    fone = model.fone_digit(model.digit_features[ids])
    assert torch.allclose(fone[0, 0, :2], torch.tensor([-0.309017, -0.951057]), atol=1e-5)


def test_scoring_counts_exact_answers_and_digits():
    problems = sample_problems(ModelSpec(int_digits=2).task, 2, seed=0)
    right = [p.answer for p in problems]
    assert score(right, problems) == {"exact_match": 1.0, "digit_accuracy": 1.0}
    off_by_one_digit = [right[0] + 1 if right[0] % 10 != 9 else right[0] - 1, None]
    s = score(off_by_one_digit, problems)
    assert s["exact_match"] == 0.0 and s["digit_accuracy"] == pytest.approx(2 / 6)


@pytest.mark.slow
def test_fone_learns_three_digit_addition_quickly():
    args = TrainArgs(
        spec=ModelSpec(size="2x128", int_digits=3),
        train_size=4000,
        val_size=200,
        test_size=500,
        batch_size=128,
        epochs=30,
        eval_every=50,
        seed=0,
    )
    result = train(args)
    assert result.metrics["exact_match"] >= 0.98, result.metrics
    assert result.history[-1]["loss"] < result.history[0]["loss"]


def test_training_is_deterministic_for_a_seed(tmp_path):
    args = TrainArgs(
        spec=ModelSpec(method="digit", size="1x64", int_digits=2),
        train_size=256,
        val_size=20,
        test_size=50,
        epochs=2,
        eval_every=1000,
        batch_size=64,
        seed=3,
    )
    a, b = train(args), train(args)
    assert a.history == [] or a.history[-1]["loss"] == b.history[-1]["loss"]
    for (ka, va), (kb, vb) in zip(a.model.state_dict().items(), b.model.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb)


def test_cached_decoding_matches_a_full_forward():
    # the KV cache must be passed by the name the installed transformers takes (silently dropped otherwise)
    torch.manual_seed(0)
    model = build_model(ModelSpec(method="digit", size="1x64", int_digits=3)).eval()
    ids, mask = torch.randint(2, 15, (4, 9)), torch.ones(4, 9, dtype=torch.long)
    with torch.no_grad():
        full = model.hidden(model.embed(ids), mask)[:, -1]
        cache = DynamicCache()
        model.hidden(model.embed(ids[:, :-1]), mask[:, :-1], cache)
        step = model.hidden(model.embed(ids)[:, -1:], mask, cache)[:, -1]
    assert cache.get_seq_length() == 9
    assert torch.allclose(full, step, atol=1e-5)


def _always(model, token: str) -> None:
    """Make ``model`` predict ``token`` at every step."""
    head = torch.nn.Linear(model.width, len(model.vocab))
    torch.nn.init.zeros_(head.weight)
    with torch.no_grad():
        head.bias.copy_(torch.nn.functional.one_hot(torch.tensor(model.vocab[token]), len(model.vocab)))
    model.lm_head = head


def test_generation_is_as_long_as_the_predicted_problems_need():
    model = build_model(ModelSpec(method="abacus", size="1x64", int_digits=3))
    _always(model, "1")
    longer = ArithmeticTask("add", 8, 0, lengths="exact")
    assert model.predict(sample_problems(longer, 2, seed=0)) == [int("1" * 10)] * 2  # 9 digits + [EOS] slot
    _always(model, "[EOS]")
    assert model.predict(sample_problems(longer, 2, seed=0)) == [None, None]  # an empty answer


def test_abacus_offset_shifts_places_in_training_only_and_the_table_covers_it():
    spec = ModelSpec(method="abacus", size="1x64", int_digits=3, abacus_offset=5)
    torch.manual_seed(0)
    model = build_model(spec)
    assert model.abacus.num_embeddings == 4 + 3 + 5
    ids = torch.tensor([model._encode("120+35=")] * 3)
    places = model._places(ids)

    def shifts() -> list[int]:
        added = model.embed(ids) - model.backbone.embed_tokens(ids)
        return [
            next(k for k in range(6) if torch.allclose(row, model.abacus(places[i] + k * (places[i] > 0))))
            for i, row in enumerate(added)
        ]

    model.train()
    seen = {k for _ in range(10) for k in shifts()}
    assert len(seen) > 1 and seen <= set(range(6))
    model.eval()
    assert shifts() == [0, 0, 0]
    torch.manual_seed(1)
    first = build_model(spec)
    torch.manual_seed(1)
    second = build_model(spec)  # the construction seed (the run's) fixes the shifts
    draw = [torch.randint(6, (16,), generator=m.shifts) for m in (first, second)]
    assert torch.equal(*draw)


def test_train_args_draw_splits_with_their_lengths():
    args = TrainArgs(spec=ModelSpec(int_digits=10), lengths="uniform")
    assert args.task.name == "add10-uniform"
    with pytest.raises(ValueError, match="lengths must be one of"):
        TrainArgs(lengths="long")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without a GPU")
def test_asking_for_cuda_without_a_gpu_fails_before_training():
    with pytest.raises(ValueError, match="torch sees no GPU"):
        train(TrainArgs(spec=ModelSpec(size="1x64", int_digits=2), device="cuda"))

import pytest
import torch
from conftest import VLMS

from modgap.models.layers import decoder_layers, image_token_id, special_token_ids, token_masks
from modgap.steer import SteerSpec, record_layers, steer

LAYER, ALPHA = 1, 0.75


def _vector(case) -> torch.Tensor:
    d = case.model.config.get_text_config().hidden_size
    return torch.linspace(-1, 1, d)


def _layer_output(case, specs=()) -> torch.Tensor:
    with (
        torch.no_grad(),
        steer(case.model, specs, case.tokenizer),
        record_layers(case.model, [LAYER]) as seen,
    ):
        case.model(**case.inputs)
    return seen[LAYER]


def _masks(case) -> dict[str, torch.Tensor]:
    model = case.model
    return token_masks(
        case.inputs["input_ids"], image_token_id(model), special_token_ids(model, case.tokenizer)
    )


@pytest.mark.parametrize("positions", ["image", "text", "both", "all"])
def test_the_layer_output_moves_by_exactly_alpha_v_at_the_chosen_positions_only(case, positions):
    if positions == "image" and case.name not in VLMS:
        pytest.skip("no image tokens in a text-only model")
    v = _vector(case)
    base = _layer_output(case)
    steered = _layer_output(case, [SteerSpec(LAYER, v, ALPHA, positions)])
    mask = torch.ones(base.shape[:2], dtype=torch.bool) if positions == "all" else _masks(case)[positions]
    assert mask.any() and (positions == "all" or not mask.all())
    assert torch.equal(steered[~mask], base[~mask])
    torch.testing.assert_close(
        steered[mask] - base[mask], (ALPHA * v).expand(int(mask.sum()), -1), atol=1e-5, rtol=0
    )


def test_masks_split_image_text_and_special_tokens(case):
    masks = _masks(case)
    ids = case.inputs["input_ids"]
    assert not (masks["image"] & masks["text"]).any()
    assert torch.equal(masks["both"], masks["image"] | masks["text"])
    assert not masks["text"][ids == 0].any()  # padding is never text
    if case.name in VLMS:
        assert masks["image"].sum() > 0 and torch.equal(masks["image"], ids == image_token_id(case.model))


def test_generate_prefill_equals_forward_and_nothing_remains_after_exit(case):
    model, spec = case.model, SteerSpec(LAYER, _vector(case), ALPHA, "both")
    with torch.no_grad():
        plain = model(**case.inputs).logits[:, -1]
        with steer(model, spec, case.tokenizer):
            forward = model(**case.inputs).logits[:, -1]
            out = model.generate(
                **case.inputs,
                max_new_tokens=1,
                do_sample=False,
                output_logits=True,
                return_dict_in_generate=True,
            )
        after = model(**case.inputs).logits[:, -1]
    assert not torch.allclose(forward, plain, atol=1e-4)
    torch.testing.assert_close(out.logits[0], forward, atol=1e-4, rtol=1e-4)
    assert torch.equal(after, plain)
    layers = decoder_layers(model)
    assert not model._forward_pre_hooks and not any(layer._forward_hooks for layer in layers)


def test_hooks_are_removed_when_the_block_raises():
    from conftest import BUILDERS

    case = BUILDERS["llama"]()
    with pytest.raises(RuntimeError, match="boom"), steer(case.model, SteerSpec(0, _vector(case), 1.0)):
        raise RuntimeError("boom")
    assert not case.model._forward_pre_hooks and not decoder_layers(case.model)[0]._forward_hooks


def test_decode_positions_are_steered_only_when_asked():
    from conftest import BUILDERS

    case = BUILDERS["llama"]()
    v = _vector(case) * 5
    runs = {}
    for name, specs in {
        "plain": [],
        "prefill": [SteerSpec(LAYER, v, 1.0, "text")],
        "decode": [SteerSpec(LAYER, v, 1.0, "text", decode=True)],
    }.items():
        with torch.no_grad(), steer(case.model, specs):
            out = case.model.generate(
                **case.inputs,
                max_new_tokens=3,
                do_sample=False,
                output_logits=True,
                return_dict_in_generate=True,
            )
        runs[name] = torch.stack(out.logits)
    # Step 1 comes from the prefill: both steered runs agree there and differ from the plain one.
    torch.testing.assert_close(runs["prefill"][0], runs["decode"][0])
    assert not torch.allclose(runs["prefill"][0], runs["plain"][0], atol=1e-4)
    assert not torch.allclose(runs["prefill"][1:], runs["decode"][1:], atol=1e-4)


def test_several_vectors_and_layers_add_up_and_bad_specs_are_named():
    from conftest import BUILDERS

    case = BUILDERS["llama"]()
    v = _vector(case)
    one = _layer_output(case, [SteerSpec(LAYER, v, 0.5, "text"), SteerSpec(LAYER, v, 0.25, "text")])
    both = _layer_output(case, [SteerSpec(LAYER, v, 0.75, "text")])
    torch.testing.assert_close(one, both, atol=1e-5, rtol=0)
    with (
        pytest.raises(ValueError, match="layer 7 out of range.*3 layers"),
        steer(case.model, SteerSpec(7, v)),
    ):
        pass
    with pytest.raises(ValueError, match="positions 'pixels'"):
        SteerSpec(0, v, 1.0, "pixels")
    with (
        pytest.raises(ValueError, match="inputs_embeds only"),
        torch.no_grad(),
        steer(case.model, SteerSpec(0, v)),
    ):
        case.model(inputs_embeds=torch.zeros(1, 3, v.numel()))

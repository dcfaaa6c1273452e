import gguf
import pytest
import torch
from conftest import BUILDERS
from transformers import AutoTokenizer

from modgap.models.loading import smollm2_path
from modgap.steer import (
    SAE,
    ConceptSentence,
    SteeringVector,
    anchor_masks,
    capture,
    extract,
    load_concepts,
    load_pairs,
    load_sae,
    record_layers,
    train_sae,
)
from modgap.steer.vectors import meanshift, sae_vector


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(smollm2_path())


def test_multi_token_anchors_are_covered_whole_and_the_sink_position_is_left_out(tokenizer):
    s = ConceptSentence("spatial", "The car is parked in front of the house.", 18, 29)
    batch, anchor, other = anchor_masks(tokenizer, [s])
    ids = batch["input_ids"][0]
    assert tokenizer.decode(ids[anchor[0]]).strip() == "in front of"
    assert ids[0] == tokenizer.bos_token_id and not anchor[0, 0] and not other[0, 0]
    assert int(anchor.sum() + other.sum()) == len(ids) - 1
    with pytest.raises(ValueError, match="no token covers the anchor"):
        anchor_masks(tokenizer, [ConceptSentence("x", "abc", 3, 3)])


def test_streamed_means_equal_the_means_of_every_state():
    case = BUILDERS["llama"]()

    class Words:  # a whitespace tokenizer over the tiny model's ids, with offsets
        bos_token, bos_token_id, all_special_ids = None, 1, [0, 1, 2]

        def __call__(self, texts, **kw):
            rows = [[1] + [3 + len(w) for w in t.split()] for t in texts]
            offsets, width = [], max(map(len, rows))
            for t in texts:
                spans, at = [(0, 0)], 0
                for w in t.split():
                    start = t.index(w, at)
                    spans.append((start, start + len(w)))
                    at = start + len(w)
                offsets.append([(0, 0)] * (width - len(spans)) + spans)
            pad = [[0] * (width - len(r)) + r for r in rows]
            ids = torch.tensor(pad)
            return {
                "input_ids": ids,
                "attention_mask": (ids != 0).long(),
                "offset_mapping": torch.tensor(offsets),
                "special_tokens_mask": ((ids == 0) | (ids == 1)).long(),
            }

    sentences = [
        ConceptSentence("c", t, t.index("up"), t.index("up") + 2)
        for t in ("go up now", "we go up", "up here a b c")
    ]
    stats = capture(case.model, Words(), sentences, layers=[0, 2], batch_size=2, max_samples=2)
    batch, anchor, other = anchor_masks(Words(), sentences)
    with torch.no_grad(), record_layers(case.model, [2]) as seen:
        case.model(**batch)
    torch.testing.assert_close(stats[2].anchor.mean, seen[2][anchor].mean(0), atol=1e-5, rtol=0)
    torch.testing.assert_close(
        meanshift(stats)[2], seen[2][anchor].mean(0) - seen[2][other].mean(0), atol=1e-5, rtol=0
    )
    assert stats[2].other.n == int(other.sum()) and len(stats[2].other.sample) == 2  # bounded reservoir


def test_sae_vector_finds_the_latents_planted_on_anchors():
    d, k = 8, 6
    sae = SAE(torch.eye(d, k), torch.zeros(k), torch.eye(k, d), torch.zeros(d))
    import random

    from modgap.steer.capture import ClassStats, LayerStats

    stats = LayerStats(ClassStats(10, random.Random(0)), ClassStats(10, random.Random(1)))
    anchors = torch.zeros(4, d)
    anchors[:, 2] = 3.0  # latent 2 fires on every anchor
    others = torch.zeros(6, d)
    others[:, 4] = 1.0
    stats.anchor.add(anchors, sae.encode(anchors))
    stats.other.add(others, sae.encode(others))
    v, latents = sae_vector(stats, sae)
    assert latents == [2] and torch.allclose(v, torch.eye(k, d)[2])


def test_sae_files_round_trip_jumprelu_applies_and_training_reconstructs(tmp_path):
    g = torch.Generator().manual_seed(0)
    sae = SAE(
        torch.randn(8, 16, generator=g),
        torch.zeros(16),
        torch.randn(16, 8, generator=g),
        torch.zeros(8),
        torch.full((16,), 0.5),
    )
    sae.save(tmp_path / "sae.safetensors")
    back = load_sae(tmp_path / "sae.safetensors")
    x = torch.randn(5, 8, generator=g)
    z = back.encode(x)
    assert torch.equal(z, sae.encode(x)) and ((z == 0) | (z > 0.5)).all()
    states = torch.randn(256, 8, generator=g)
    trained = train_sae(states, 32, steps=300)
    err = ((trained.decode(trained.encode(states)) - states) ** 2).mean() / states.var()
    assert err < 0.2
    (tmp_path / "bad.safetensors").write_bytes(b"")
    from safetensors.torch import save_file

    save_file({"W_enc": torch.zeros(2, 2)}, str(tmp_path / "bad.safetensors"))
    with pytest.raises(ValueError, match="missing b_enc, W_dec, b_dec"):
        load_sae(tmp_path / "bad.safetensors")
    with pytest.raises(ValueError, match="W_dec has shape"):
        SAE(torch.zeros(8, 4), torch.zeros(4), torch.zeros(3, 8), torch.zeros(8))


def test_vectors_round_trip_through_safetensors_json_and_gguf(tmp_path):
    v = SteeringVector(
        {0: torch.ones(4), 3: torch.arange(4.0)}, "meanshift", "spatial", "smollm2", {"sentences": 16}
    )
    v.save(tmp_path / "vec")
    back = SteeringVector.load(tmp_path / "vec.safetensors")
    assert back.method == "meanshift" and back.extra == {"sentences": 16}
    assert torch.equal(back.directions[3], torch.arange(4.0)) and back.metadata()["norm"]["0"] == 2.0
    v.to_gguf(tmp_path / "vec.gguf", model_hint="llama")
    reader = gguf.GGUFReader(tmp_path / "vec.gguf")
    assert [t.name for t in reader.tensors] == ["direction.3"]  # llama.cpp cannot steer layer 0
    assert reader.tensors[0].data.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert bytes(reader.fields["general.architecture"].parts[-1]).decode() == "controlvector"
    with pytest.raises(ValueError, match="has no layer 5"):
        v.spec(5, 1.0)
    with pytest.raises(FileNotFoundError, match="nothing.safetensors not found"):
        SteeringVector.load(tmp_path / "nothing")


def _pairs(path):
    positives, negatives = load_pairs(path)
    return {"sentences": positives, "method": "diffmean", "negatives": negatives}


def test_probe_and_diffmean_on_a_tiny_model_and_user_concept_files(tmp_path, tokenizer):
    case = BUILDERS["llama"]()
    case.model.resize_token_embeddings(len(tokenizer))
    file = tmp_path / "c.jsonl"
    file.write_text(
        '{"concept": "up", "text": "We went **up** the hill."}\n{"text": "The kite flew **up** high."}\n'
    )
    sentences = load_concepts(file)
    assert sentences[0].anchor == "up" and sentences[1].concept == "custom"
    probe = extract(case.model, tokenizer, sentences, "probe", layers=[1])
    assert abs(float(probe.directions[1].norm()) - 1) < 1e-5 and probe.extra["train_accuracy"]["1"] > 0.5
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"positive": "It went up.", "negative": "It went up."}\n')
    same = extract(case.model, tokenizer, **_pairs(pairs), layers=[0, 2])
    assert all(torch.equal(v, torch.zeros_like(v)) for v in same.directions.values())
    pairs.write_text('{"positive": "It went up.", "negative": "It went down."}\n')
    assert float(extract(case.model, tokenizer, **_pairs(pairs), layers=[2]).directions[2].norm()) > 0
    with pytest.raises(ValueError, match="needs contrastive pairs"):
        extract(case.model, tokenizer, sentences, "diffmean")
    with pytest.raises(ValueError, match="unknown method 'pca'"):
        extract(case.model, tokenizer, sentences, "pca")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no anchor here"}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:1: .*exactly one \*\*anchor\*\*"):
        load_concepts(bad)

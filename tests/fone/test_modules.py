from decimal import Decimal

import pytest
import torch

from modgap.fone import FoNEEmbedding, FoNEHead, FourierConfig, encode


def test_config_rejects_a_model_too_narrow_for_its_digits():
    with pytest.raises(ValueError, match="hidden_size=9 is smaller than the FoNE width 10"):
        FourierConfig(int_digits=5, hidden_size=9)
    with pytest.raises(ValueError, match="projection"):
        FourierConfig(projection="rotate")
    FourierConfig(int_digits=5, hidden_size=10)  # exactly 2(m+n) is enough without a sign


def test_pad_embedding_places_features_in_the_first_dims():
    cfg = FourierConfig(int_digits=3, hidden_size=16)
    emb = FoNEEmbedding(cfg)(cfg.features([123]).float())
    assert emb.shape == (1, 16)
    assert torch.allclose(emb[0, :6], encode(123, 3, 0, signed=False).float())
    assert emb[0, 6:].abs().sum() == 0


def test_pad_head_reads_the_exact_digit_phases_back():
    # a hidden state that holds each digit's own phase must be classified as that digit
    cfg = FourierConfig(int_digits=4, frac_digits=2, hidden_size=20)
    head = FoNEHead(cfg)
    digits = [7, 0, 9, 3, 1, 8]  # smallest place first: 8139.07
    h = torch.zeros(1, 20)
    h[0, :12] = head.phases[digits].flatten() * 10
    assert head.predict(h) == [Decimal("8139.07")]


def test_head_loss_is_small_for_confident_correct_digits_and_large_otherwise():
    cfg = FourierConfig(int_digits=2, hidden_size=8)
    head = FoNEHead(cfg)
    targets, _ = head.targets([42])
    h = torch.zeros(1, 8)
    h[0, :4] = head.phases[targets[0]].flatten() * 100
    assert head.loss(h, targets).item() < 1e-3
    assert head.loss(-h, targets).item() > 5


def test_linear_projection_trains_to_read_numbers():
    torch.manual_seed(0)
    cfg = FourierConfig(int_digits=3, hidden_size=32, projection="linear")
    emb, head = FoNEEmbedding(cfg), FoNEHead(cfg)
    values = list(range(0, 1000, 7))
    x = cfg.features(values).float()
    digits, _ = head.targets(values)
    opt = torch.optim.Adam([*emb.parameters(), *head.parameters()], lr=0.05)
    for _ in range(300):
        loss = head.loss(emb(x), digits)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert head.predict(emb(x)) == values


def test_signed_head_predicts_the_sign():
    cfg = FourierConfig(int_digits=1, hidden_size=4, signed=True)
    head = FoNEHead(cfg)
    h = torch.zeros(2, 4)
    h[:, :2] = head.phases[3] * 10
    h[0, 2], h[1, 2] = 5.0, -5.0
    assert head.predict(h) == [-3, 3]
    digits, negative = head.targets([-3, 3])
    assert negative.tolist() == [True, False]
    with pytest.raises(ValueError, match="negative"):
        head.loss(h, digits)


def test_embedding_rejects_features_of_the_wrong_width():
    with pytest.raises(ValueError, match="width 6"):
        FoNEEmbedding(FourierConfig(int_digits=3, hidden_size=8))(torch.zeros(2, 7))

import torch

from gankit.nn.attention import SelfAttention


def test_gate_zero_is_identity():
    """A fresh block (gamma = 0) returns its input exactly, so adding attention cannot hurt at init."""
    block = SelfAttention(16)
    x = torch.randn(2, 16, 8, 8)
    assert torch.equal(block(x), x)


def test_attention_mixes_positions_once_gate_opens():
    """With gamma != 0 the output at one position depends on the input at a distant one."""
    block = SelfAttention(16, use_spectral_norm=False)
    with torch.no_grad():
        block.gamma.fill_(1.0)
    x = torch.randn(1, 16, 8, 8, requires_grad=True)
    block(x)[0, :, 0, 0].sum().backward()
    assert x.grad[0, :, 7, 7].abs().sum() > 0

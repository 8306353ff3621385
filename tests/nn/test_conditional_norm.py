import torch

from gankit.nn.conditional_norm import ConditionalBatchNorm2d


def test_each_class_gets_its_own_gain_and_bias():
    """Sample i is scaled and shifted by the parameters of its own label, not its neighbour's."""
    layer = ConditionalBatchNorm2d(4, num_classes=3)
    with torch.no_grad():
        layer.gain.weight.copy_(torch.arange(12.0).view(3, 4))
        layer.bias.weight.copy_(-torch.arange(12.0).view(3, 4))
    x = torch.randn(6, 4, 5, 5)
    labels = torch.tensor([0, 1, 2, 2, 1, 0])
    out = layer(x, labels)
    normed = torch.nn.functional.batch_norm(x, None, None, training=True)
    for i, k in enumerate(labels.tolist()):
        want = normed[i] * (1 + layer.gain.weight[k])[:, None, None] + layer.bias.weight[k][:, None, None]
        torch.testing.assert_close(out[i], want)


def test_fresh_layer_is_plain_batch_norm_for_vector_conditions():
    """Gains start at 1 and biases at 0, so a new vector-conditioned layer equals BN without affine."""
    layer = ConditionalBatchNorm2d(4, cond_dim=7)
    x = torch.randn(5, 4, 3, 3)
    out = layer(x, torch.randn(5, 7))
    torch.testing.assert_close(out, torch.nn.functional.batch_norm(x, None, None, training=True))

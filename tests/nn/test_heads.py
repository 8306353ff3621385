import torch

from gankit.nn.heads import AuxClassifierHead, ProjectionHead


def test_projection_equals_its_closed_form():
    """logit = w.h + b + embed(y).h for class labels (Miyato & Koyama 2018, eq. 3)."""
    head = ProjectionHead(5, num_classes=3, use_spectral_norm=False)
    h, y = torch.randn(4, 5), torch.tensor([0, 2, 1, 2])
    want = h @ head.linear.weight[0] + head.linear.bias + (head.embed.weight[y] * h).sum(1)
    torch.testing.assert_close(head(h, y), want)


def test_projection_with_label_vectors_is_linear_in_the_label():
    """For float label vectors the projection term is h^T V y: doubling y doubles it."""
    head = ProjectionHead(5, label_dim=4, use_spectral_norm=False)
    h, y = torch.randn(3, 5), torch.rand(3, 4)
    base = head.linear(h).flatten()
    torch.testing.assert_close(head(h, 2 * y) - base, 2 * (head(h, y) - base))


def test_aux_classifier_shapes():
    logits, classes = AuxClassifierHead(6, 10)(torch.randn(2, 6))
    assert logits.shape == (2,) and classes.shape == (2, 10)

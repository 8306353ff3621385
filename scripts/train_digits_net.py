"""Train gankit's digits feature network on the digits train split and write the shipped weights and metadata.

    python scripts/train_digits_net.py

Reproduces gankit/metrics/weights/digits_cnn.{safetensors,json} bit for bit on the same machine type, torch
version and thread count (all randomness comes from --seed; deterministic algorithms are switched on). The test
split is only evaluated once, after training, for the report: it never steers training.
"""

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save

from gankit.data.digits import load_digits_dataset
from gankit.metrics.digits_net import ARCHITECTURE, WEIGHTS_PATH, DigitsFeatureNet, classify, sha256_of


def random_affine(
    x: torch.Tensor, generator: torch.Generator, max_rotate_deg: float, max_scale: float, max_translate_px: float
) -> torch.Tensor:
    """Small random rotation, scale and translation of each image, so the net also recognises off-centre samples.

    Args:
        x: prepared images, float [N, 1, H, W] in [-1, 1] with black background -1.
        generator: the source of all randomness.
        max_rotate_deg: rotations are drawn uniformly from [-max_rotate_deg, max_rotate_deg] degrees.
        max_scale: scales are drawn uniformly from [1 - max_scale, 1 + max_scale].
        max_translate_px: shifts along each axis are drawn uniformly from +-max_translate_px pixels.

    Returns:
        float [N, 1, H, W], background still -1.
    """
    # Draw one transform per image.
    n, _, h, _ = x.shape
    u = torch.rand(n, 4, generator=generator) * 2 - 1  # [N, 4] uniform in [-1, 1]
    angle = u[:, 0] * math.radians(max_rotate_deg)
    scale = 1 + u[:, 1] * max_scale
    shift = u[:, 2:] * (2 * max_translate_px / h)  # pixels -> normalised coordinates (the image spans 2)

    # Resample with the inverse map; zero padding of (x + 1) keeps the border black.
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # [N, 2, 3] -> [N, H, W, 2]
    return F.grid_sample(x + 1, grid, mode="bilinear", padding_mode="zeros", align_corners=False) - 1


def accuracy(net: DigitsFeatureNet, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of images whose predicted digit equals the label."""
    pred, _ = classify(net, images)
    return (pred == labels).double().mean().item()


def train(args: argparse.Namespace) -> tuple[DigitsFeatureNet, dict]:
    """Train from scratch; return the net in eval mode and the training record."""
    # Seed everything and switch on deterministic kernels.
    torch.manual_seed(args.seed)  # weight init and dropout
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(args.seed)  # data order and augmentation

    # Build the data, the net and the optimiser.
    train_set = load_digits_dataset("train", resolution=DigitsFeatureNet.resolution, channels=1)
    net = DigitsFeatureNet()
    x_all = net.prepare(train_set.images)
    y_all = train_set.labels
    steps_per_epoch = math.ceil(len(x_all) / args.batch_size)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch)
    print(f"{train_set.describe()}; {sum(p.numel() for p in net.parameters())} parameters; {args.epochs} epochs")

    # Run the epochs.
    start = time.time()
    for epoch in range(args.epochs):
        net.train()
        order = torch.randperm(len(x_all), generator=generator)
        loss_sum = torch.zeros(())
        correct = torch.zeros((), dtype=torch.long)
        for i in range(0, len(x_all), args.batch_size):
            idx = order[i : i + args.batch_size]
            x = random_affine(x_all[idx], generator, args.max_rotate_deg, args.max_scale, args.max_translate_px)
            y = y_all[idx]
            logits = net.logits(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.detach() * len(idx)
            correct += (logits.argmax(1) == y).sum()
        seconds = time.time() - start
        print(
            f"epoch {epoch + 1:<3d} loss {loss_sum.item() / len(x_all):.4f}  "
            f"aug_acc {correct.item() / len(x_all):.4f}  time {seconds:.0f}s"
        )

    # Report clean accuracy on both splits.
    net.eval()
    test_set = load_digits_dataset("test", resolution=DigitsFeatureNet.resolution, channels=1)
    record = {
        "train_accuracy": accuracy(net, train_set.images, train_set.labels),
        "test_accuracy": accuracy(net, test_set.images, test_set.labels),
        "train_images": len(train_set),
        "test_images": len(test_set),
        "train_seconds": round(time.time() - start, 1),
    }
    return net, record


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes through a temporary file and a rename, so a crash never leaves a half-written file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--max-rotate-deg", type=float, default=12.0)
    parser.add_argument("--max-scale", type=float, default=0.1, help="scales drawn from [1 - s, 1 + s]")
    parser.add_argument("--max-translate-px", type=float, default=2.0, help="at the 32x32 input")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads; part of what makes runs repeat")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH, help="the .safetensors path; .json goes next to it")
    args = parser.parse_args()

    # Train on CPU with a fixed thread count.
    torch.set_num_threads(args.threads)
    net, record = train(args)
    print(f"train_accuracy {record['train_accuracy']:.4f}  test_accuracy {record['test_accuracy']:.4f}")

    # Write the weights, then the metadata that pins their hash.
    args.out.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in net.state_dict().items()}
    write_atomic(args.out, save(state, metadata={"architecture": ARCHITECTURE}))
    options = {k: (os.path.relpath(v) if isinstance(v, Path) else v) for k, v in sorted(vars(args).items())}
    meta = {
        "name": DigitsFeatureNet.name,
        "architecture": ARCHITECTURE,
        "input_resolution": DigitsFeatureNet.resolution,
        "input_channels": DigitsFeatureNet.channels,
        "feature_dim": DigitsFeatureNet.feature_dim,
        "preprocessing": "gankit.metrics.preprocess.prepare_for_features, mean 127.5, std 127.5",
        "sha256": sha256_of(args.out),
        "seed": args.seed,
        "command": " ".join(["python", "scripts/train_digits_net.py", *sys.argv[1:]]),
        "options": options,
        **record,
        "torch_version": torch.__version__,
    }
    write_atomic(args.out.with_suffix(".json"), (json.dumps(meta, indent=2) + "\n").encode())
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, sha256 {meta['sha256']})")


if __name__ == "__main__":
    main()

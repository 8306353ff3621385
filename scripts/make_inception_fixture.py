"""Write the Inception equivalence fixture: pytorch-fid's pool3 features for seeded weights and seeded inputs.

Runs in its own environment with the reference package, never in gankit's (see make_inception_fixture.sh, which
builds that environment and calls this script). gankit's `tests/metrics/test_inception.py` loads the same seeded
weights into `gankit.metrics.inception.FIDInceptionV3` and must reproduce these features to 1e-5.

The weights are not the real ones (they cannot be downloaded here): `gankit/metrics/seeded_weights.py`, loaded by
file path so gankit need not be installed, draws every tensor of torchvision's `Inception3(num_classes=1008,
aux_logits=False)` state dict (the key set of the standard weight file) from a seed. pytorch-fid's own loader is
pointed at those tensors, so the reference network is built and loaded exactly as for the real file.
"""

import argparse
import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
INPUT_SHAPES = [(2, 3, 32, 32), (2, 3, 320, 320)]  # one batch upsampled to 299, one downsampled


def _load_seeded_weights_module():
    spec = importlib.util.spec_from_file_location("seeded_weights", REPO / "gankit" / "metrics" / "seeded_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _import_torchvision_without_ops():
    """Import torchvision's Python model code when its C++ ops cannot load.

    PyPI serves only a CUDA build of torchvision 0.28.0, whose _C extension needs libtorch_cuda and so does not load
    next to the CPU build of torch; torchvision then fails while registering fake kernels for its detection ops (nms,
    roi_align). Inception uses none of them, so those two registration modules are replaced by empty ones.
    """
    for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
        sys.modules[name] = types.ModuleType(name)
    import torchvision

    return torchvision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the stand-in weights")
    parser.add_argument("--input-seed", type=int, default=1, help="seed of the uint8 input images")
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "metrics" / "fixtures" / "inception_seeded.npz")
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeded = _load_seeded_weights_module()

    # Build the reference network, feeding its loader the seeded tensors instead of the downloaded file.
    torchvision = _import_torchvision_without_ops()
    import pytorch_fid
    import pytorch_fid.inception as ref

    template = torchvision.models.inception.Inception3(num_classes=1008, aux_logits=False, init_weights=False)
    state = seeded.seeded_state_dict(seeded.shapes_of(template), args.seed)

    def load_seeded(url: str, progress: bool = True) -> dict:
        assert url.endswith("pt_inception-2015-12-05-6726825d.pth"), url
        return state

    ref.load_state_dict_from_url = load_seeded
    model = ref.InceptionV3([ref.InceptionV3.BLOCK_INDEX_BY_DIM[2048]], resize_input=True, normalize_input=True)
    model.eval()

    # Run the reference pipeline: uint8 -> [0, 1] -> bilinear 299 -> [-1, 1] -> pool3.
    images = seeded.seeded_images(INPUT_SHAPES, args.input_seed)
    with torch.no_grad():
        features = [model(batch.float() / 255)[0].squeeze(-1).squeeze(-1).numpy() for batch in images]

    # Write the fixture.
    keys = sorted(k for k in state)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        features=np.concatenate(features).astype(np.float32),
        input_shapes=np.array(INPUT_SHAPES),
        seed=args.seed,
        input_seed=args.input_seed,
        keys=np.array(keys),
        key_shapes=np.array([",".join(map(str, state[k].shape)) for k in keys]),
        weights_sha256=seeded.tensors_sha256(state),
        inputs_sha256=seeded.tensors_sha256({str(i): b for i, b in enumerate(images)}),
        versions=f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
        f"pytorch-fid {pytorch_fid.__version__}",
    )
    print(f"wrote {args.out}: features {np.concatenate(features).shape}, {len(keys)} tensors")


if __name__ == "__main__":
    main()

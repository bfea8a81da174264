"""Make ``tests/fixtures/wang2024_official.npz``: numbers from the official HTNet network (Wang et al.,
Neurocomputing 2024; arXiv 2307.14637), for ``tests/test_wang2024.py``, which holds ``papers/wang2024/model.py``
to them with no PyTorch.

Run once, by hand, in a PyTorch environment (never in ``make test``)::

    python3 -m venv /tmp/venv-torch && /tmp/venv-torch/bin/pip install torch numpy einops
    git clone https://github.com/wangzhifengharrison/HTNet /tmp/HTNet   # commit 91cf4bd read
    /tmp/venv-torch/bin/python benchmarks/make_wang2024_fixture.py /tmp/HTNet

The first argument is the folder holding the authors' ``Model.py``, imported from there: their code is never
copied into this repository; the fixture holds numbers only. What it records:

- ``full/parameter_count`` and ``full/shapes``: the network ``main_HTNet.py`` builds (image 28, patch 7,
  dim 256, heads 3, 3 hierarchies, blocks (2, 2, 10), 3 classes), its parameter count and every tensor's
  name and shape (JSON, UTF-8 bytes), so that the test checks our weight mapping covers the full network too;
- for each reduced configuration (``CONFIGS``, small enough for a small file): the seeded random initial
  weights (``<name>/param/<official tensor name>``), a fixed input (``<name>/input``, N x 3 x 28 x 28,
  channels first as the official network reads it: uint8 levels 0..255, the values of its 8-bit flow images,
  fed as float32), the official
  logits in eval mode (``<name>/logits``), the parameter count and the configuration (JSON, UTF-8 bytes).

Config "nested" keeps the paper's three levels (every block then attends over one token, as at the
paper's size); "attention" has two levels, so each block attends over four tokens and the softmax is
exercised.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "wang2024_official.npz"
FULL = {"image_size": 28, "patch_size": 7, "dim": 256, "heads": 3, "num_hierarchies": 3,
        "block_repeats": [2, 2, 10], "num_classes": 3}
CONFIGS = {
    "nested": {"image_size": 28, "patch_size": 7, "dim": 8, "heads": 3, "num_hierarchies": 3,
               "block_repeats": [1, 1, 1], "num_classes": 3},
    "attention": {"image_size": 28, "patch_size": 7, "dim": 10, "heads": 3, "num_hierarchies": 2,
                  "block_repeats": [1, 2], "num_classes": 3},
}
BATCH = 3


def build(htnet, config):
    return htnet(**{**config, "block_repeats": tuple(config["block_repeats"])})


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not (Path(argv[0]) / "Model.py").is_file():
        print("usage: make_wang2024_fixture.py FOLDER_WITH_THE_OFFICIAL_Model.py", file=sys.stderr)
        return 2
    import torch

    sys.path.insert(0, str(Path(argv[0]).resolve()))
    from Model import HTNet  # the authors' module, from the folder given

    arrays: dict[str, np.ndarray] = {}
    full = build(HTNet, FULL)
    arrays["full/parameter_count"] = np.array(sum(p.numel() for p in full.parameters()))
    arrays["full/shapes"] = np.array(json.dumps({k: list(v.shape) for k, v in full.state_dict().items()}).encode())
    del full
    for index, (name, config) in enumerate(CONFIGS.items()):
        torch.manual_seed(index)
        model = build(HTNet, config).eval()
        for key, tensor in model.state_dict().items():
            arrays[f"{name}/param/{key}"] = tensor.detach().numpy().astype(np.float32)
        rng = np.random.default_rng(index)
        levels = rng.integers(0, 256, size=(BATCH, 3, config["image_size"], config["image_size"]), dtype=np.uint8)
        with torch.no_grad():
            logits = model(torch.from_numpy(levels.astype(np.float32))).numpy()
        arrays[f"{name}/input"] = levels
        arrays[f"{name}/logits"] = logits.astype(np.float32)
        arrays[f"{name}/parameter_count"] = np.array(sum(p.numel() for p in model.parameters()))
        arrays[f"{name}/config"] = np.array(json.dumps(config).encode())
    arrays["torch_version"] = np.array(torch.__version__.encode())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"{OUT}: {OUT.stat().st_size} bytes; full network {int(arrays['full/parameter_count'])} parameters; "
          + ", ".join(f"{n} {int(arrays[f'{n}/parameter_count'])}" for n in CONFIGS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

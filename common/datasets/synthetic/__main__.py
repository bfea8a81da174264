"""``python -m common.datasets.synthetic --out DIR [--size smoke|default] [--mirror] [--seed N]``."""
from __future__ import annotations

import argparse
import json
import sys

from common.datasets.synthetic import SIZES, write_corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m common.datasets.synthetic",
                                     description="Write the synthetic CASME II / SMIC / SAMM / CAS(ME)^2 / CASME / "
                                                 "CAS(ME)^3 / MMEW / 4DME corpus and the MEGC 2019 csv in the real "
                                                 "on-disk layouts.")
    parser.add_argument("--out", required=True, help="new or empty folder to write into")
    parser.add_argument("--size", choices=SIZES, default="default", help="smoke: seconds, for tests; default: the demo")
    parser.add_argument("--mirror", action="store_true",
                        help="the real subject and class counts of CASME II, SMIC, SAMM and CAS(ME)^2 (the other "
                             "databases are not written)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        out = write_corpus(args.out, size=args.size, seed=args.seed, mirror=args.mirror)
    except (FileExistsError, ImportError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    manifest = json.loads((out / "corpus.json").read_text(encoding="utf-8"))
    print(f"wrote {manifest['clips']} clips + {manifest['videos']} long videos ({manifest['frames_written']} frames, "
          f"{manifest['seconds']} s) to {out.resolve()}")
    print(f"load it with: common.datasets.load(name, {str(out)!r}) "
          "for name in casme2 smic smic_e samm casme_sq megc2019 casme casme3 casme3_c mmew 4dme")
    return 0


if __name__ == "__main__":
    sys.exit(main())

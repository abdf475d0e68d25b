#!/usr/bin/env python3
"""Writes the synthetic connectome of the large-network benchmarks as a TVB
zip (weights.txt, tract_lengths.txt, centres.txt), readable by both
`brainstream run` (connectivity = "…zip") and tvb-library's
`Connectivity.from_file`.

The same generator as `synthetic()` in benches/engine.rs (xorshift64 from a
seed): each off-diagonal weight is non-zero with probability `density`,
uniform in (0.001, 3.001]; every tract length uniform in [10, 200) mm.
Numbers are written with 17 significant digits, so both readers get the same
float64 values.

  python3 benches/synthetic_connectome.py --n 998 --density 0.1 --out /tmp/syn998.zip
"""
import argparse
import io
import zipfile

MASK = (1 << 64) - 1


def generate(n, density, seed=42):
    s = seed

    def nxt():
        nonlocal s
        s ^= (s << 13) & MASK
        s ^= s >> 7
        s ^= (s << 17) & MASK
        return (s >> 11) / float(1 << 53)

    w = [[0.0] * n for _ in range(n)]
    lengths = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if i != j and nxt() < density:
                w[i][j] = 3.0 * nxt() + 1e-3
            lengths[i][j] = 10.0 + 190.0 * nxt()
    return w, lengths


def write_zip(path, n, density, seed=42):
    w, lengths = generate(n, density, seed)

    def text(m):
        b = io.StringIO()
        for row in m:
            b.write(" ".join("%.17g" % v for v in row))
            b.write("\n")
        return b.getvalue()

    centres = "".join("r%d %.1f %.1f %.1f\n" % (i, float(i), 0.0, 0.0) for i in range(n))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("weights.txt", text(w))
        z.writestr("tract_lengths.txt", text(lengths))
        z.writestr("centres.txt", centres)
    return sum(1 for row in w for v in row if v != 0.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=998)
    ap.add_argument("--density", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    nnz = write_zip(a.out, a.n, a.density, a.seed)
    print(f"{a.out}: {a.n} regions, {nnz} non-zero weights")


if __name__ == "__main__":
    main()

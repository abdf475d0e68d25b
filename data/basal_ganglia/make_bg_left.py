"""Derives data/basal_ganglia/ (a two-region connectome for
graphs/cosim_basal_ganglia_izh.toml) and the basal ganglia pathways' weights
and delays that the graph writes out, from tvb-multiscale's BGplusAAL
connectome (examples/data/basal_ganglia/conn/ of
github.com/the-virtual-brain/tvb-multiscale: conn_denis_weights.txt,
BGplusAAL_tract_lengths.txt, aal_plus_BG_centers.txt; GPL-3 data, not on
PyPI, so not fetched by CI: this script was run once by hand).

    python make_bg_left.py /path/to/tvb-multiscale/examples/data/basal_ganglia/conn

Steps, as examples/models/basal_ganglia_izhiikevich.py and the CoSimulator
builder of tvb-multiscale prepare the connectome:
  1. drop AAL's Thalamus_L/_R (the BG nuclei' Thal_L/_R stand for them);
  2. zero w[GPe, GPi, Str (L, R); cortex] and w[cortex; GPe, GPi (L, R)],
     verbatim as the example does before building its Connectivity (TVB's
     convention is w[target, source]: this removes cortex -> GPe, GPi,
     striatum and GPe, GPi -> cortex; the example's comments say "BG -> Cortex"
     for the first), so that the normalisation below is the example's;
  3. normalise: scaled_weights(mode="region") then divide by the 99th
     percentile (CoSimulatorBuilder's defaults) -> w_n;
  4. BG pathway weight = 0.00205875 (the builder's scaleBGoptTOtvb) * w_n
     [target, source]; delay = max(dt, rint(L / speed / dt) * dt) with TVB's
     default speed 3 mm/ms (the example does not pass its speed = 4 to the
     Connectivity) and dt = 0.1 ms;
  5. the two-region connectome: BG_L (the left BG circuit, one spiking
     region) and Cortex_L (the 55 left AAL cortical/subcortical regions as one
     mean-field node): w[Cortex_L, BG_L] = mean over the cortical regions of
     w_n[ctx, Thal_L]; w[BG_L, Cortex_L] = 1 (the cortex -> BG drive is set
     by the graph's Poisson proxies); tract lengths: weight-averaged over the
     cortical regions; the intra-cortical in-strength (mean row sum of w_n
     over the left cortex) is printed for the graph's w (folded into the
     node's own recurrence).
"""

import os
import sys

import numpy as np


def main(conn):
    w = np.loadtxt(os.path.join(conn, "conn_denis_weights.txt"))
    tl = np.loadtxt(os.path.join(conn, "BGplusAAL_tract_lengths.txt"))
    labels = np.loadtxt(os.path.join(conn, "aal_plus_BG_centers.txt"), dtype=str, usecols=(0,))
    centres = np.loadtxt(os.path.join(conn, "aal_plus_BG_centers.txt"), usecols=(1, 2, 3))
    drop = [list(labels).index("Thalamus_L"), list(labels).index("Thalamus_R")]
    keep = [i for i in range(len(labels)) if i not in drop]
    w, tl = w[np.ix_(keep, keep)], tl[np.ix_(keep, keep)]
    labels, centres = labels[keep], centres[keep]
    n = len(labels)
    cortex = slice(10, n)
    w[[0, 1, 2, 3, 6, 7], cortex] = 0.0
    w[cortex, 0:4] = 0.0
    np.fill_diagonal(w, 0.0)
    wn = w / np.max(np.abs(w.sum(axis=1)))
    wn = wn / np.percentile(wn, 99)

    GPe, GPi, STN, Str, Thal = 0, 2, 4, 6, 8  # the left nuclei
    ctx = [i for i in range(10, n) if labels[i].endswith("_L")]
    s, dt, speed = 0.00205875, 0.1, 3.0
    print("BG pathways (left): weight = 0.00205875 * w_n[target, source], delay")
    for name, src, trg in [("dSN -> GPi", Str, GPi), ("iSN -> GPe", Str, GPe),
                           ("GPe -> GPi", GPe, GPi), ("GPi -> Thal", GPi, Thal),
                           ("Thal -> dSN, iSN", Thal, Str), ("GPe -> STN", GPe, STN),
                           ("STN -> GPe", STN, GPe), ("STN -> GPi", STN, GPi)]:
        d = max(dt, np.rint(tl[trg, src] / speed / dt) * dt)
        print(f"  {name:17s} w_n {wn[trg, src]:.6f}  weight {s * wn[trg, src]:.6g}  "
              f"L {tl[trg, src]:.3f} mm  delay {d:.1f} ms")

    back = wn[ctx, Thal].mean()
    l_back = np.average(tl[ctx, Thal], weights=wn[ctx, Thal])
    l_in = np.average(tl[STN, ctx], weights=wn[STN, ctx])
    intra = wn[np.ix_(ctx, ctx)].sum(axis=1).mean()
    print(f"Cortex_L <- Thal_L: mean w_n {back:.6f}, L {l_back:.3f} mm")
    print(f"STN_L <- cortex: weighted mean L {l_in:.3f} mm")
    print(f"intra-cortical in-strength (mean row sum of w_n, left cortex): {intra:.6f}")

    out = os.path.dirname(os.path.abspath(__file__))
    lab = ["BG_L", "Cortex_L"]
    cen = [centres[[GPe, GPi, STN, Str, Thal]].mean(axis=0), centres[ctx].mean(axis=0)]
    W = np.array([[0.0, 1.0], [round(back, 6), 0.0]])
    L = np.array([[0.0, round(l_in, 3)], [round(l_back, 3), 0.0]])
    np.savetxt(os.path.join(out, "weights.txt"), W, fmt="%.6f")
    np.savetxt(os.path.join(out, "tract_lengths.txt"), L, fmt="%.3f")
    with open(os.path.join(out, "centres.txt"), "w") as f:
        for l, c in zip(lab, cen):
            f.write(f"{l} {c[0]:.3f} {c[1]:.3f} {c[2]:.3f}\n")


if __name__ == "__main__":
    main(sys.argv[1])

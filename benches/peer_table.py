#!/usr/bin/env python3
"""Issue 22's side-by-side table in one run: brainstream against its peers
(tvb-library, NEST, ANNarchy, neurolib, vbjax) on this machine, each row's
commands alternated REPS times, medians reported with every run, the load
average around each row, the peers' versions and the machine.

  cargo build --release --bin brainstream
  python3 benches/peer_table.py [--reps 3] [--rows rww998,start] [--out table.md]
  ROWS=start,cosim REPS=5 python3 benches/peer_table.py

Every brainstream figure is a whole process (`brainstream run GRAPH`: start,
validation, connectome, the run, its HDF5 recordings), timed from outside.
A peer is timed twice where it can be: its whole process (python start,
imports, JIT, build, run) and its simulation loop alone (in-process, after a
warm-up where it JIT-compiles). A row whose peer (or tool) is missing is
printed with "not measured" and the reason; nothing is estimated.

Peers are looked up per package (`importlib.metadata`) in: $TVB_PYTHON,
$NEST_PYTHON, $ANNARCHY_PYTHON, $NEUROLIB_PYTHON, $VBJAX_PYTHON (one
interpreter each, if set), else $PEER_PYTHONS (colon-separated), else
$PEERS/venv (default /tmp/brainstream-peers, `../shared/peers/run_all.sh`),
target/pyenv (`scripts/pyenv.sh`: NEST, ANNarchy with --annarchy) and
../notes/venv.

Rows (`--rows` / $ROWS, comma-separated; default all but the slow ones marked
*): rww76, rww192, rww998, threads998, adex68, mpr76, cond1000, aeif1000,
psc1000, rk4_1000, cond10k*, annarchy, cosim, start, scale10k*, scale100k* (issue 21: one
iaf_cond_alpha network at 10 000 / 100 000 neurons in brainstream (NEST's RKF45 and `rk4`, 1 and 2
threads), NEST (1 and 2 threads) and ANNarchy (1 and 2 OpenMP threads), benches/spiking_scale.py;
simulated ms with --scale-ms 1000,200).
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_adex_sweep import TVB_ADEX_SETUP  # noqa: E402
import spiking_scale  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER_DIR = os.path.join(ROOT, "..", "shared", "peers")
ALL_ROWS = ["rww76", "rww192", "rww998", "threads998", "adex68", "mpr76", "cond1000", "aeif1000",
            "psc1000", "rk4_1000", "cond10k", "annarchy", "cosim", "start", "scale10k", "scale100k"]
SLOW_ROWS = {"cond10k", "scale10k", "scale100k"}
PACKAGES = {"tvb": "tvb-library", "nest": "nest-simulator", "annarchy": "annarchy",
            "neurolib": "neurolib", "vbjax": "vbjax"}


class NotMeasured(Exception):
    """A row (or one of its columns) that cannot be measured here: why."""


# --- peers --------------------------------------------------------------------------------------

def candidates(peer):
    env = os.environ.get(f"{peer.upper()}_PYTHON")
    if env:
        return [env]
    if os.environ.get("PEER_PYTHONS"):
        return os.environ["PEER_PYTHONS"].split(":")
    peers = os.environ.get("PEERS", "/tmp/brainstream-peers")
    return [os.path.join(peers, "venv", "bin", "python"), os.path.join(ROOT, "target", "pyenv", "bin", "python3"),
            os.path.join(ROOT, "..", "notes", "venv", "bin", "python")]


def version_in(python, package):
    if not os.path.exists(python):
        return None
    r = subprocess.run([python, "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


_found = {}


def peer(name):
    """(python, version) of a peer, or NotMeasured naming where it looked."""
    if name not in _found:
        _found[name] = None
        for py in candidates(name):
            v = version_in(py, PACKAGES[name])
            if v:
                _found[name] = (os.path.abspath(py), v)
                break
    if _found[name] is None:
        raise NotMeasured(f"no python with {PACKAGES[name]} (looked in {', '.join(candidates(name))}; "
                          f"set {name.upper()}_PYTHON)")
    return _found[name]


def h5_python():
    for py in [os.path.join(ROOT, "target", "pyenv", "bin", "python3"), sys.executable]:
        if os.path.exists(py) and version_in(py, "h5py"):
            return py
    return None


# --- measuring ----------------------------------------------------------------------------------

def timed(cmd, env=None, cwd=None):
    """Wall seconds of a whole process and its stdout; NotMeasured if it fails."""
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        tail = (r.stderr.strip() or r.stdout.strip()).splitlines()[-1:] or ["?"]
        raise NotMeasured(f"`{os.path.basename(cmd[0])} …` failed: {tail[0][:200]}")
    return wall, r.stdout


def last_json(out):
    return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])


def bs_run(args, graph, sets=(), out=None):
    """brainstream's whole process on GRAPH; wall seconds."""
    with tempfile.TemporaryDirectory() as d:
        cmd = [args.bin, "run", graph, "-q", "--out", out or os.path.join(d, "o"), "--force"]
        for s in sets:
            cmd += ["--set", s]
        return timed(cmd)[0]


def spike_rate(path, neurons, seconds):
    py = h5_python()
    if not py:
        return None
    r = subprocess.run([py, "-c", f"import h5py; print(len(h5py.File({path!r})['spikes/times']))"],
                       capture_output=True, text=True)
    return int(r.stdout) / neurons / seconds if r.returncode == 0 else None


def syn998(args):
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "syn998.zip")  # as benches/threads998.sh
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(ROOT, "benches", "synthetic_connectome.py"), "--n", "998",
                        "--density", "0.1", "--out", path], check=True, capture_output=True)
    return path


def spiking_graph(model, n, bg_rate, bg_weight, conns, threads=1, solver=None, v_init=None, seed=12345):
    """A one-region network: E/I 80/20, fixed in-degree, independent Poisson drive, spikes recorded."""
    ne = int(0.8 * n)
    g = (f"[simulation]\ndt_ms = 0.1\nduration_ms = 1000.0\nseed = {seed}\n\n[actors.net]\n"
         f"kind = \"spiking_network\"\nmodel = \"{model}\"\nregions = [\"r0\"]\n"
         f"populations = {{ E = {ne}, I = {n - ne} }}\n"
         f"background = {{ rate_hz = {bg_rate}, weight = {bg_weight}, delay_ms = {conns['bg_delay']} }}\n"
         f"threads = {threads}\n")
    if solver:
        g += f"solver = \"{solver}\"\n"
    if v_init:
        g += f"v_m_init = [{v_init[0]}, {v_init[1]}]\n"
    for src, k, w in [("E", max(1, ne // 10), conns["wE"]), ("I", max(1, (n - ne) // 10), conns["wI"])]:
        for dst in ("E", "I"):
            g += (f"\n[[actors.net.connections]]\nfrom = \"{src}\"\nto = \"{dst}\"\nrule = \"fixed_indegree\"\n"
                  f"indegree = {k}\nweight = {w}\ndelay_ms = 1.5\n")
    g += "\n[actors.spikes]\nkind = \"hdf5_recorder\"\n\n[[edges]]\nfrom = \"net.spikes\"\nto = \"spikes.spikes\"\n"
    return g


NEST_BRUNEL = r'''
import json, time, nest
nest.set_verbosity("M_ERROR")
nest.ResetKernel(); nest.resolution = 0.1; nest.rng_seed = 12345
e = nest.Create("iaf_psc_alpha", 800); i = nest.Create("iaf_psc_alpha", 200)
for src, k, w in [(e, 80, 20.0), (i, 20, -100.0)]:
    for dst in (e, i):
        nest.Connect(src, dst, {"rule": "fixed_indegree", "indegree": k}, {"weight": w, "delay": 1.5})
pg = nest.Create("poisson_generator", params={"rate": 4500.0})
nest.Connect(pg, e + i, syn_spec={"weight": 20.0, "delay": 0.1})
sr = nest.Create("spike_recorder"); nest.Connect(e + i, sr)
t = time.perf_counter(); nest.Simulate(1000.0); w = time.perf_counter() - t
print(json.dumps({"wall_simulate_s": w, "mean_rate_hz": sr.get("n_events") / 1000.0}))
'''

TVB_ADEX = "import json\n" + TVB_ADEX_SETUP + r'''print(json.dumps(dict(run_s=sim({length}), length_ms={length})))
'''


# --- rows ---------------------------------------------------------------------------------------
# Each row: a title, a goal, and "measures": name -> a function of the repetition that returns a
# dict of figures (seconds unless named otherwise). The runner alternates the measures of a row
# within each repetition and takes medians; `summary` turns the medians into the table's cells.

def tvb_rows(args, key):
    zips = {"rww76": os.path.join(ROOT, "data", "connectivity", "connectivity_76.zip"),
            "rww192": os.path.join(ROOT, "data", "connectivity", "connectivity_192.zip")}
    sets = {"rww76": [], "rww192": ["actors.brain.connectivity=\"../data/connectivity/connectivity_192.zip\"",
                                    "actors.brain.initial_conditions=\"random\""]}

    def conn():
        return syn998(args) if key == "rww998" else zips[key]

    def bs(_):
        s = sets.get(key) or [f"actors.brain.connectivity={conn()}", "actors.tavg.offset_steps=0"]
        return {"whole": bs_run(args, os.path.join(ROOT, "graphs", "tvb_rww76.toml"), s)}

    def tvb(_):
        py, _v = peer("tvb")
        script = os.path.join(ROOT, "benches", "tvb_peer.py")
        whole, _o = timed([py, script, "--conn", conn()])
        _w, out = timed([py, script, "--conn", conn(), "--warmup"])
        return {"whole": whole, "loop": last_json(out)["run_s"]}

    def summary(m):
        b, t = m["brainstream"], m["tvb-library"]
        return (f"{b['whole'] * 1e3:.0f} ms", f"{t['whole']:.2f} s / {t['loop']:.2f} s",
                f"{t['whole'] / b['whole']:.1f}× / {t['loop'] / b['whole']:.1f}×")
    return {"brainstream": bs, "tvb-library": tvb}, summary


def row_threads998(args):
    def run(t):
        return lambda _: {"whole": bs_run(args, os.path.join(ROOT, "graphs", "tvb_rww76.toml"),
                                          [f"actors.brain.connectivity={syn998(args)}",
                                           f"actors.brain.threads={t}", "actors.tavg.offset_steps=0"])}

    def summary(m):
        one, two, auto = (m[k]["whole"] for k in ("threads=1", "threads=2", "threads=0"))
        return (f"1: {one:.2f} s, 2: {two:.2f} s, auto: {auto:.2f} s", "–",
                f"2 vs 1: {one / two:.2f}×, auto vs 1: {one / auto:.2f}×")
    return {"threads=1": run(1), "threads=2": run(2), "threads=0": run(0)}, summary


def row_adex68(args):
    steps = 10000

    def bs(_):
        return {"whole": bs_run(args, os.path.join(ROOT, "graphs", "adex68.toml"),
                                ["simulation.duration_ms=1000", "actors.brain.threads=1"])}

    def neurolib(_):
        py, _v = peer("neurolib")
        with tempfile.TemporaryDirectory() as d:
            whole, _o = timed([py, os.path.join(PEER_DIR, "neurolib_ref.py"), "--duration", "1000", "--out", d])
            meta = json.load(open(os.path.join(d, "aln_hcp_meta.json")))
        return {"whole": whole, "loop": meta["wall_run_s"], "regions": meta["n_nodes"]}

    def tvb(_):
        py, _v = peer("tvb")
        conn = os.path.join(ROOT, "data", "connectivity", "connectivity_68.zip")
        whole, out = timed([py, "-c", TVB_ADEX.format(conn=conn, length=args.tvb_adex_ms)])
        d = last_json(out)
        return {"loop": d["run_s"] * 1000.0 / d["length_ms"]}

    def summary(m):
        b = m["brainstream"]["whole"]
        bs_rs = b / (68 * steps) * 1e9
        cells = [f"{b:.2f} s ({bs_rs:.0f} ns per region-step)"]
        peers, ratios = [], []
        if "neurolib" in m:
            n = m["neurolib"]
            nl = n["loop"] / (n["regions"] * steps) * 1e9
            peers.append(f"neurolib ALN {n['regions']:.0f} regions: loop {n['loop']:.2f} s ({nl:.0f} ns per region-step)")
            ratios.append(f"{nl / bs_rs:.1f}× neurolib per region-step")
        else:
            peers.append(f"neurolib: not measured ({m['_why'].get('neurolib', '')})")
        if "tvb-library" in m:
            t = m["tvb-library"]["loop"]
            peers.append(f"tvb-library loop {t:.1f} s per sim-s ({args.tvb_adex_ms:.0f} ms scaled)")
            ratios.append(f"{t / b:.0f}× tvb-library's loop")
        return cells[0], "; ".join(peers), ", ".join(ratios) or "–"
    return {"brainstream": bs, "neurolib": neurolib, "tvb-library": tvb}, summary


def row_mpr76(args):
    def bs(_):
        return {"whole": bs_run(args, os.path.join(ROOT, "graphs", "tvb_rww76.toml"), [
            "actors.brain.model=\"MontbrioPazoRoxin\"", "actors.brain.variables=[\"r\", \"V\"]",
            "actors.brain.coupling_params={ a = 0.01 }"])}

    def vbjax(_):
        py, _v = peer("vbjax")
        tvb_py, _tv = peer("tvb")
        with tempfile.TemporaryDirectory() as d:
            timed([tvb_py, os.path.join(PEER_DIR, "tvb_ref.py"), "--model", "rww", "--conn", "76", "--length",
                   "10", "--out", d, "--no-csv"])
            whole, _o = timed([py, os.path.join(PEER_DIR, "vbjax_ref.py"), "--conn-dir", d, "--out", d])
            meta = json.load(open(os.path.join(d, "vbjax_meta.json")))
        return {"whole": whole, "loop": meta["delay_run_s"], "ring": meta["ring_run_s"]}

    def summary(m):
        b, v = m["brainstream"]["whole"], m["vbjax"]
        return (f"{b * 1e3:.0f} ms", f"{v['whole']:.2f} s (whole: its 4 variants) / {v['loop']:.2f} s (`make_sdde` "
                f"loop; a plain-JAX ring buffer: {v['ring']:.2f} s)",
                f"– / {v['loop'] / b:.1f}× (ring buffer: {v['ring'] / b:.1f}×)")
    return {"brainstream": bs, "vbjax": vbjax}, summary


NEST_SHAPES = {
    # row: (NEST model, neurons, nest_ref.py options, graph's background weight, E/I weights, solver)
    "cond1000": ("iaf_cond_alpha", 1000, [], 1.5, (0.5, -2.0), None),
    "rk4_1000": ("iaf_cond_alpha", 1000, [], 1.5, (0.5, -2.0), "rk4"),
    "aeif1000": ("aeif_cond_exp", 1000, ["--wext", "10"], 10.0, (0.5, -2.0), None),
    "cond10k": ("iaf_cond_alpha", 10000, ["--n", "10000"], 1.5, (0.5, -2.0), None),
}


def row_nest(args, key):
    model, n, opts, bg, (we, wi), solver = NEST_SHAPES[key]
    graph = os.path.join(args.tmp, f"{key}.toml")
    with open(graph, "w") as f:
        f.write(spiking_graph(model, n, 8000.0, bg, dict(wE=we, wI=wi, bg_delay=1.0), solver=solver,
                              v_init=(-70.0, -55.0)))

    def bs(_):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "o")
            w = bs_run(args, graph, out=out)
            return {"whole": w, "rate_hz": spike_rate(os.path.join(out, "spikes.h5"), n, 1.0)}

    def nest(_):
        py, _v = peer("nest")
        with tempfile.TemporaryDirectory() as d:
            whole, _o = timed([py, os.path.join(PEER_DIR, "nest_ref.py"), "--model", model, "--recurrent",
                               "--out", d] + opts)
            meta = json.load(open([os.path.join(d, f) for f in os.listdir(d) if f.endswith("_meta.json")][0]))
        return {"whole": whole, "loop": meta["wall_simulate_s"], "rate_hz": meta["mean_rate_hz"]}

    def summary(m):
        b, ne = m["brainstream"], m["NEST"]
        rate = f", {b['rate_hz']:.1f} Hz" if b.get("rate_hz") is not None else ""
        return (f"{b['whole']:.2f} s{rate}", f"{ne['whole']:.2f} s / {ne['loop']:.2f} s, {ne['rate_hz']:.1f} Hz",
                f"{ne['whole'] / b['whole']:.2f}× / {ne['loop'] / b['whole']:.2f}×")
    return {"brainstream": bs, "NEST": nest}, summary


def row_psc1000(args):
    graph = os.path.join(args.tmp, "psc1000.toml")
    with open(graph, "w") as f:
        f.write(spiking_graph("iaf_psc_alpha", 1000, 4500.0, 20.0, dict(wE=20.0, wI=-100.0, bg_delay=0.1)))

    def bs(_):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "o")
            w = bs_run(args, graph, out=out)
            return {"whole": w, "rate_hz": spike_rate(os.path.join(out, "spikes.h5"), 1000, 1.0)}

    def nest(_):
        py, _v = peer("nest")
        whole, out = timed([py, "-c", NEST_BRUNEL])
        d = last_json(out)
        return {"whole": whole, "loop": d["wall_simulate_s"], "rate_hz": d["mean_rate_hz"]}

    return {"brainstream": bs, "NEST": nest}, row_nest_summary


def row_nest_summary(m):
    b, ne = m["brainstream"], m["NEST"]
    rate = f", {b['rate_hz']:.1f} Hz" if b.get("rate_hz") is not None else ""
    return (f"{b['whole']:.2f} s{rate}", f"{ne['whole']:.2f} s / {ne['loop']:.2f} s, {ne['rate_hz']:.1f} Hz",
            f"{ne['whole'] / b['whole']:.2f}× / {ne['loop'] / b['whole']:.2f}×")


def row_annarchy(args):
    # annarchy_ref.py --recurrent: 1000 IF_cond_alpha (PyNN parameters), 1000 shared 20 Hz Poisson
    # sources, 100 per neuron; brainstream's `iaf_cond_alpha_n1000_annarchy_shaped` bench network is
    # that network (benches/spiking.rs), its stepping timed in-process (`cargo bench --bench spiking`).
    def bs(_):
        exe = sorted((os.path.join(ROOT, "target", "release", "deps", f) for f in
                      os.listdir(os.path.join(ROOT, "target", "release", "deps"))
                      if f.startswith("spiking-") and os.access(os.path.join(ROOT, "target", "release", "deps", f),
                                                              os.X_OK) and "." not in f), key=os.path.getmtime)
        if not exe:
            raise NotMeasured("no spiking bench binary: `cargo bench --bench spiking --no-run`")
        _w, out = timed([exe[-1], "--bench"])
        for line in out.splitlines():
            if line.startswith("{"):
                d = json.loads(line)
                if d["network"] == "iaf_cond_alpha_n1000_annarchy_shaped_rk4" and d["threads"] == 1:
                    return {"loop": d["wall_s_per_sim_s"], "rate_hz": d["mean_rate_hz"]}
        raise NotMeasured("the spiking bench printed no annarchy_shaped_rk4 line")

    def ann(_):
        py, _v = peer("annarchy")
        env = dict(os.environ, PATH=os.path.dirname(py) + os.pathsep + os.environ["PATH"])
        with tempfile.TemporaryDirectory() as d:
            whole, _o = timed([py, os.path.join(PEER_DIR, "annarchy_ref.py"), "--recurrent", "--out", d], env=env,
                              cwd=d)
            meta = json.load(open([os.path.join(d, f) for f in os.listdir(d) if f.endswith("_meta.json")][0]))
        return {"whole": whole, "loop": meta["wall_s_per_sim_s"], "rate_hz": meta["mean_rate_hz"]}

    def summary(m):
        b, a = m["brainstream"], m["ANNarchy"]
        return (f"loop {b['loop']:.3f} s (`rk4`), {b['rate_hz']:.1f} Hz",
                f"{a['whole']:.1f} s whole (compiles) / loop {a['loop']:.3f} s, {a['rate_hz']:.1f} Hz",
                f"loop/loop {a['loop'] / b['loop']:.2f}×")
    return {"brainstream": bs, "ANNarchy": ann}, summary


def cosim_graphs(args):
    src = os.path.join(ROOT, "graphs", "cosim_wc76_spiking.toml")
    with open(src) as f:
        text = f.read()
    # mean field alone: the brain, its recorder and plot
    keep_mf = {"brain", "raw", "brain_plot"}
    keep_sp = {"net", "spikes", "rates", "filt", "raster", "rates_plot", "gen2"}
    blocks = re.split(r"\n(?=\[)", text)

    def select(keep, extra=""):
        out = []
        skip = False
        edge = None
        for b in blocks:
            head = b.split("\n", 1)[0].strip()
            m = re.match(r"\[actors\.([a-z_0-9]+)\]", head)
            m2 = re.match(r"\[\[actors\.([a-z_0-9]+)\.", head)
            if m or m2:
                skip = (m or m2).group(1) not in keep
            elif head == "[[edges]]":
                frm = re.search(r'from = "([a-z_0-9]+)\.', b).group(1)
                to = re.search(r'to = "([a-z_0-9]+)\.', b).group(1)
                skip = frm not in keep or to not in keep
            elif head.startswith("["):
                skip = False
            if not skip:
                out.append(b)
        return "\n".join(out) + extra
    mf = select(keep_mf).replace('proxy_nodes = ["rM1", "lM1"]', "")
    # the spiking regions alone: the same network, its `spikes_in` fed by Poisson trains of a constant
    # rate, the co-simulation's mean: its proxy trains run at 300 Hz × the coupling c_E of rM1 and lM1,
    # whose mean over the 1 s run is 0.294 (a recorder on brain.coupling), so 88 Hz
    sp = select(keep_sp, "\n[actors.gen2]\nkind = \"poisson_generator\"\nrate = 88.0\nn_trains = 200\n\n"
                         "[[edges]]\nfrom = \"gen2.spikes\"\nto = \"net.spikes_in\"\n")
    paths = {}
    for name, t in [("mf", mf), ("sp", sp)]:
        paths[name] = os.path.join(args.tmp, f"cosim_{name}.toml")
        with open(paths[name], "w") as f:
            f.write(t.replace("../", os.path.join(ROOT, "")))
    return src, paths


def row_cosim(args):
    src, parts = cosim_graphs(args)

    def run(graph, scheme):
        return lambda _: {"whole": bs_run(args, graph, [f"simulation.scheme=\"{scheme}\""])}

    def summary(m):
        cells = []
        for s in ("parallel", "serial"):
            co, mf, sp = (m[f"{k} ({s})"]["whole"] for k in ("co-simulation", "mean field alone", "spiking alone"))
            cells.append(f"{s}: {co:.3f} s vs {mf:.3f} + {sp:.3f} s → {100 * (co / (mf + sp) - 1):+.0f} %")
        return "; ".join(cells), "–", "overhead over the two alone, summed"
    measures = {}
    for s in ("parallel", "serial"):
        measures[f"co-simulation ({s})"] = run(src, s)
        measures[f"mean field alone ({s})"] = run(parts["mf"], s)
        measures[f"spiking alone ({s})"] = run(parts["sp"], s)
    return measures, summary


def row_start(args):
    g = os.path.join(ROOT, "graphs", "tvb_rww76.toml")

    def tiny(_):
        return {"whole": bs_run(args, g, ["simulation.duration_ms=0.1"])}

    def version(_):
        return {"whole": timed([args.bin, "--version"])[0]}

    def summary(m):
        return (f"{m['0.1 ms of tvb_rww76']['whole'] * 1e3:.1f} ms (`--version`: {m['--version']['whole'] * 1e3:.1f} ms)",
                "–", "–")
    return {"0.1 ms of tvb_rww76": tiny, "--version": version}, summary


# --- issue 21: one spiking network at 10 000 and 100 000 neurons ------------------------------

SCALE_N = {"scale10k": 10000, "scale100k": 100000}
SCALE_BS = [("rkf45", 1), ("rkf45", 2), ("rk4", 1), ("rk4", 2)]   # brainstream's solver and threads


def bs_logged(args, graph, out):
    """brainstream's whole process with its info log: wall s, the network's build s and busy s."""
    cmd = [args.bin, "run", graph, "-q", "-v", "--out", out, "--force"]
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        tail = (r.stderr.strip() or r.stdout.strip()).splitlines()[-1:] or ["?"]
        raise NotMeasured(f"`brainstream run` failed: {tail[0][:200]}")
    stamps, busy = {}, None
    for line in r.stderr.splitlines():
        m = re.match(r"(\S+Z)\s+INFO\s", line)
        if m and "starting run" in line:
            stamps["start"] = m.group(1)
        elif m and "spiking network ready" in line:
            stamps["ready"] = m.group(1)
        m2 = re.search(r"actor compute time actor=net busy_s=([0-9.e-]+)", line)
        if m2:
            busy = float(m2.group(1))
    if busy is None or len(stamps) != 2:
        raise NotMeasured("brainstream's -v log has no network build or busy time (a newer log format?)")

    def secs(stamp):
        hh, mm, ss = stamp.split("T")[1].rstrip("Z").split(":")
        return int(hh) * 3600 + int(mm) * 60 + float(ss)
    build = secs(stamps["ready"]) - secs(stamps["start"])
    return wall, build, busy - build


def row_scale(args, key):
    n = SCALE_N[key]
    t_ms = args.scale_ms[0 if key == "scale10k" else 1]
    sim_s = t_ms / 1000.0
    script = os.path.join(ROOT, "benches", "spiking_scale.py")
    measures = {}
    for solver, threads in SCALE_BS:
        graph = os.path.join(args.tmp, f"{key}_{solver}_{threads}.toml")
        with open(graph, "w") as f:
            f.write(spiking_scale.graph(n, threads, None if solver == "rkf45" else solver, t_ms))

        def bs(_, graph=graph):
            with tempfile.TemporaryDirectory() as d:
                out = os.path.join(d, "o")
                wall, build, loop = bs_logged(args, graph, out)
                return {"whole": wall, "build": build, "loop": loop,
                        "rate_hz": spike_rate(os.path.join(out, "spikes.h5"), n, sim_s)}
        measures[f"brainstream {solver} {threads}t"] = bs
    for threads in (1, 2):
        def nest(_, threads=threads):
            py, _v = peer("nest")
            whole, out = timed([py, script, "nest", "--n", str(n), "--t", str(t_ms), "--threads", str(threads)])
            d = last_json(out)
            return {"whole": whole, "build": d["build_s"], "loop": d["simulate_s"], "rate_hz": d["rate_hz"]}
        measures[f"NEST {threads}t"] = nest
    for threads in (1, 2):
        # one build folder per size and thread count: ANNarchy compiles in the first repetition only
        ann_dir = os.path.join(args.tmp, f"annarchy_{key}_{threads}")
        os.makedirs(ann_dir, exist_ok=True)

        def ann(_, threads=threads, ann_dir=ann_dir):
            py, _v = peer("annarchy")
            env = dict(os.environ, PATH=os.path.dirname(py) + os.pathsep + os.environ["PATH"])
            whole, out = timed([py, script, "annarchy", "--n", str(n), "--t", str(t_ms), "--threads", str(threads),
                                "--dir", ann_dir], env=env, cwd=ann_dir)
            d = last_json(out)
            return {"whole": whole, "build": d["build_s"], "compile": d["compile_s"], "loop": d["simulate_s"],
                    "rate_hz": d["rate_hz"]}
        measures[f"ANNarchy {threads}t"] = ann
    if args.scale_configs:
        unknown = set(args.scale_configs) - set(measures)
        if unknown:
            sys.exit(f"--scale-configs: unknown {sorted(unknown)}; configurations: {', '.join(measures)}")
        measures = {k: f for k, f in measures.items() if k in args.scale_configs}

    def summary(m):
        per = {k: v["loop"] / sim_s for k, v in m.items() if k != "_why"}
        ref = m.get("NEST 1t", {}).get("rate_hz")
        bs_cells = [f"{s} {t}t {per[f'brainstream {s} {t}t']:.2f}" for s, t in SCALE_BS
                    if f"brainstream {s} {t}t" in per]
        bs_rate = next((v["rate_hz"] for k, v in m.items() if k.startswith("brainstream")), float("nan"))
        peers = [f"{k} {per[k]:.2f}" for k in ("NEST 1t", "NEST 2t", "ANNarchy 1t", "ANNarchy 2t") if k in per]
        ratios = []
        for peer_k, bs_k in [("NEST 1t", "brainstream rkf45 1t"), ("NEST 2t", "brainstream rkf45 2t"),
                             ("NEST 1t", "brainstream rk4 1t"), ("ANNarchy 1t", "brainstream rk4 1t"),
                             ("ANNarchy 2t", "brainstream rk4 2t")]:
            if peer_k in per and bs_k in per:
                ratios.append(f"{peer_k} / {bs_k.split(' ', 1)[1]}: {per[peer_k] / per[bs_k]:.1f}×")
        rates = ", ".join(f"{k} {v['rate_hz']:.2f}" for k, v in m.items() if k != "_why")
        extra = ["", f"{key}: {n} iaf_cond_alpha, {t_ms:g} ms simulated (benches/spiking_scale.py); per configuration "
                 "(medians): the loop in s per simulated s (brainstream: the network actor's busy time less its "
                 "build; NEST: `Simulate`; ANNarchy: `simulate`), the build (create + connect; ANNarchy's C++ "
                 "compile apart), the whole process, the mean rate and its difference from NEST 1 thread's:", "",
                 "| configuration | loop, s per sim-s | build s | whole process s | rate Hz | rate vs NEST 1t |",
                 "|---|---|---|---|---|---|"]
        for k, v in m.items():
            if k == "_why":
                continue
            comp = f" (+ compile {v['compile']:.1f})" if v.get("compile") is not None else ""
            dev = f"{100 * (v['rate_hz'] / ref - 1):+.1f} %" if ref and v.get("rate_hz") is not None else "–"
            rate = f"{v['rate_hz']:.2f}" if v.get("rate_hz") is not None else "–"
            extra.append(f"| {k} | {per[k]:.3f} | {v['build']:.2f}{comp} | {v['whole']:.2f} | {rate} | {dev} |")
        return (f"loop s per sim-s: {', '.join(bs_cells)}; {bs_rate:.2f} Hz",
                f"loop s per sim-s: {', '.join(peers)}; rates {rates}", "; ".join(ratios), extra)
    return measures, summary


ROWS = {
    "rww76": ("RWW 76 regions, 1 s (tvb-data)", "tvb-library", "(66–73× whole)", lambda a: tvb_rows(a, "rww76")),
    "rww192": ("RWW 192 regions, 1 s (tvb-data)", "tvb-library", "≥100× / ≥50×", lambda a: tvb_rows(a, "rww192")),
    "rww998": ("RWW 998 regions, 1 s (10 % dense synthetic)", "tvb-library", "≥50× / ≥30×",
               lambda a: tvb_rows(a, "rww998")),
    "threads998": ("engine threads, RWW 998 regions, whole graph", "–",
                   "2 vs 1 ≥1.7× on 2 idle cores; auto never slower than 1", row_threads998),
    "adex68": ("ZerlautAdaptationSecondOrder 68 regions, 1 s", "neurolib ALN 80 regions; tvb-library",
               "≥5× neurolib per region-step, ≥50× tvb-library's loop", row_adex68),
    "mpr76": ("MontbrioPazoRoxin 76 regions, 1 s", "vbjax", "(10× vbjax's loop)", row_mpr76),
    "cond1000": ("iaf_cond_alpha 1000, NEST-exact (RKF45), 1 thread", "NEST", "≥3×",
                 lambda a: row_nest(a, "cond1000")),
    "aeif1000": ("aeif_cond_exp 1000, NEST-exact, 1 thread", "NEST", "≥3×", lambda a: row_nest(a, "aeif1000")),
    "psc1000": ("iaf_psc_alpha Brunel 1000, 1 thread", "NEST", "(6×)", row_psc1000),
    "rk4_1000": ("iaf_cond_alpha 1000, `solver = \"rk4\"`, 1 thread", "NEST", "(10.8×)",
                 lambda a: row_nest(a, "rk4_1000")),
    "cond10k": ("iaf_cond_alpha 10 000, NEST-exact, 1 thread", "NEST", "≥3×, rates ±2 %",
                lambda a: row_nest(a, "cond10k")),
    "annarchy": ("1000 IF_cond_alpha, ANNarchy's network", "ANNarchy", "(1.36× with rk4)", row_annarchy),
    "cosim": ("co-simulation WC76 + 2×1000 iaf_psc_alpha, 1 s", "–", "<5 % in both schemes", row_cosim),
    "start": ("whole-process start (one 0.1 ms step, two HDF5 recorders)", "–", "≤3 ms", row_start),
    "scale10k": ("iaf_cond_alpha 10 000, fixed in-degree 80 + 20, 8 kHz Poisson", "NEST 1 and 2 threads; ANNarchy",
                 "rates within 5 %", lambda a: row_scale(a, "scale10k")),
    "scale100k": ("iaf_cond_alpha 100 000, fixed in-degree 80 + 20, 8 kHz Poisson", "NEST 1 and 2 threads; ANNarchy",
                  "rates within 5 %", lambda a: row_scale(a, "scale100k")),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default=os.environ.get("ROWS", ""), help="comma-separated subset (default: all)")
    ap.add_argument("--reps", type=int, default=int(os.environ.get("REPS", "3")))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "brainstream"))
    ap.add_argument("--out", help="also write the markdown here")
    ap.add_argument("--tvb-adex-ms", type=float, default=300.0,
                    help="tvb-library's AdEx loop runs this many ms, scaled to 1 s")
    ap.add_argument("--scale-ms", default="1000,200",
                    help="simulated ms of the rows scale10k and scale100k (two numbers)")
    ap.add_argument("--scale-configs", type=lambda v: [c.strip() for c in v.split(",") if c.strip()], default=[],
                    help="only these configurations of scale10k/scale100k, e.g. \"brainstream rk4 1t,NEST 1t\" "
                         "(default: all eight)")
    args = ap.parse_args()
    try:
        args.scale_ms = [float(x) for x in args.scale_ms.split(",")]
        assert len(args.scale_ms) == 2 and all(x > 0 for x in args.scale_ms)
    except (ValueError, AssertionError):
        sys.exit(f"--scale-ms {args.scale_ms!r}: two positive numbers, e.g. 1000,200")
    keys = [k.strip() for k in args.rows.split(",") if k.strip()] or [k for k in ALL_ROWS if k not in SLOW_ROWS]
    unknown = [k for k in keys if k not in ROWS]
    if unknown:
        sys.exit(f"unknown rows {unknown}; rows: {', '.join(ALL_ROWS)}")
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"{args.bin}: no brainstream binary (cargo build --release --bin brainstream)")
    with tempfile.TemporaryDirectory() as tmp:
        args.tmp = tmp
        lines, details, extra = run_rows(args, keys)
    head = header(args)
    text = "\n".join(head + [""] + lines + extra + [""] + details) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


def run_rows(args, keys):
    lines = ["| row | work | brainstream (whole process) | peer: whole / loop | ratio: whole / loop | goal |",
             "|---|---|---|---|---|---|"]
    details = ["Every run (seconds; load average before → after each row):", ""]
    extra = []
    for k in keys:
        title, peer_name, goal, make = ROWS[k]
        load0 = os.getloadavg()
        try:
            measures, summary = make(args)
        except NotMeasured as e:
            lines.append(f"| {k} | {title} | not measured | {e} | – | {goal} |")
            continue
        runs = {name: [] for name in measures}
        why = {}
        for rep in range(args.reps):
            for name, f in measures.items():
                if name in why:
                    continue
                try:
                    runs[name].append(f(rep))
                except NotMeasured as e:
                    why[name] = str(e)
                print(f"# {k} {name} rep {rep + 1}: {runs[name][-1] if name not in why else why[name]}",
                      file=sys.stderr, flush=True)
        load1 = os.getloadavg()
        med = {}
        for name, rs in runs.items():
            if name in why or not rs:
                continue
            med[name] = {f: statistics.median(r[f] for r in rs) if all(r.get(f) is not None for r in rs) else None
                         for f in rs[0]}
        med["_why"] = why
        try:
            if "brainstream" in measures and "brainstream" in why:
                raise NotMeasured(why["brainstream"])
            needed = [n for n in measures if n != "brainstream" and n in why and k != "adex68"]
            if needed:
                raise NotMeasured("; ".join(f"{n}: {why[n]}" for n in needed))
            b, p, r, *more = summary(med)
            extra += more[0] if more else []
            lines.append(f"| {k} | {title} | {b} | {p} | {r} | {goal} |")
        except NotMeasured as e:
            # say which side is missing, and give what the other side measured
            got = {n: v for n, v in med.items() if n != "_why"}
            own = "; ".join(f"{f} {v:.3f}" for f, v in got.get("brainstream", {}).items() if v is not None)
            peers = "; ".join(f"{n}: " + ", ".join(f"{f} {v:.3f}" for f, v in d.items() if v is not None)
                              for n, d in got.items() if n != "brainstream")
            missing = "; ".join(f"{n}: {w}" for n, w in why.items())
            lines.append(f"| {k} | {title} | {own or 'not measured'} | not measured: {missing or e}"
                         f"{'; measured ' + peers if peers else ''} | – | {goal} |")
        details.append(f"- {k} (load {load0[0]:.2f} → {load1[0]:.2f}):")
        for name, rs in runs.items():
            if name in why:
                details.append(f"  - {name}: not measured: {why[name]}")
                continue
            figs = {f: [round(r[f], 4) for r in rs if r.get(f) is not None] for f in rs[0]} if rs else {}
            details.append(f"  - {name}: " + "; ".join(f"{f} {v}" for f, v in figs.items()))
    return lines, details, extra


def header(args):
    commit = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %cd", "--date=short"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    vers = []
    for p in PACKAGES:
        try:
            py, v = peer(p)
            vers.append(f"{PACKAGES[p]} {v} ({py})")
        except NotMeasured:
            vers.append(f"{PACKAGES[p]}: not found")
    return [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `benches/peer_table.py --reps "
            f"{args.reps}`; brainstream {commit}{' (with uncommitted changes)' if dirty else ''}, "
            f"`{os.path.relpath(args.bin, ROOT)}`; {os.cpu_count()} CPUs ({cpu}), {platform.platform()}; "
            f"load average at the end {os.getloadavg()[0]:.2f}.",
            "",
            "Peers: " + "; ".join(vers) + ".",
            "",
            "Medians of the alternated runs. \"whole\": the whole process timed from outside; \"loop\": the "
            "peer's simulation loop alone, timed inside it (after its JIT warm-up)."]


if __name__ == "__main__":
    main()

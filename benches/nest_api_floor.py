#!/usr/bin/env python3
"""What NEST's Python API costs per window at least, on the network of
graphs/cosim_wc76_nest.toml (2 x 1000 iaf_psc_alpha, examples/external/
wc76_nest.py): the first kernel call after each 1 ms `Run`, the same call
again, over 300 windows (medians of the last 250). The external adapter
needs at least one such read per window.

  target/pyenv/bin/python3 benches/nest_api_floor.py
"""
import importlib.util
import os
import time

import numpy as np
import nest
from nest import nestkernel_api as kernel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location("wc76", os.path.join(ROOT, "examples/external/wc76_nest.py"))
wc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wc)
wc.build(["rM1", "lM1"], 0.1, 11, 1, 1)
gen = nest.Create("spike_generator")._datum
runs, first, second = [], [], []
nest.Prepare()
for w in range(300):
    t0 = time.perf_counter()
    nest.Run(1.0)
    t1 = time.perf_counter()
    kernel.llapi_get_nc_status(gen, "origin")
    t2 = time.perf_counter()
    kernel.llapi_get_nc_status(gen, "origin")
    t3 = time.perf_counter()
    runs.append(t1 - t0)
    first.append(t2 - t1)
    second.append(t3 - t2)
nest.Cleanup()
med = lambda x: np.median(x[50:]) * 1e6
print(f"per 1 ms window: Run {med(runs):.0f} us; the first kernel call after it {med(first):.1f} us, "
      f"the same call again {med(second):.1f} us")

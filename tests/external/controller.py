"""An external actor that closes a loop, for the runtime's tests: it serves
only `control` and sends `coupling_params.a` from its config's
`schedule = { "W" = VALUE, ... }`: in window W one sample stamped at the
next window's first step holding VALUE, NaN (leave it) in the others."""

import math

import numpy as np

from brainstream_client import Series, Session

s = Session()
schedule = {int(k): float(v) for k, v in s.config.get("schedule", {}).items()}
s.accept([], ["control"], peer="test controller")


def step(w):
    end = w.start_step + w.n_steps
    value = schedule.get(w.index, math.nan)
    return {"control": Series(np.array([end], dtype=np.uint64),
                              np.array([end * w.dt_ms]),
                              np.full((1, 1, 1), value))}


s.run(step, peer="test controller")

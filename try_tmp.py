import time, sys, numpy as np
from pathlib import Path
from sim.workflows.compose import compose
from sim.workflows.calibration import spec as specs, study as st, smc
from sim.workflows.calibration.prior import Prior
from sim.workflows.calibration.study import summary_columns
N, R = int(sys.argv[1]), int(sys.argv[2])
base = compose(["params=prior","run.engine=vector","run.progress=false","run.weekly_table=false","run.citizens_table=true","run.n_jobs=2","run.uncertainty=none"])
spec = specs.load(sys.argv[3], base, summary_columns(base))
prior = Prior.of(spec)
prob = st.Problem(st.calibration_base(base, spec, R), spec, prior, Path(sys.argv[4]))
t=time.time()
def tick(s): print(f"{time.time()-t:6.0f}s batch {s.batches} phi {s.phi:.4f} {s.history[-1] if s.history else ''}", flush=True)
state = st.calibrate(prob, smc.Settings(particles=N, seed=0), st.open_folder(Path(sys.argv[4]), "x"), tick)
print(smc.final_diagnostics(state), time.time()-t)
d = st.posterior(prior, state); print(d.describe().T[["mean","std"]])

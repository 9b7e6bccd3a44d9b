"""sayso HTTP API and command line: a thin edge over the index library."""

import os

# One BLAS / OpenMP thread per process unless the environment asks for more, set before
# numpy loads: a question's matrix products are small, and on a busy machine extra threads
# wait for cores more than they help (SciFact hybrid p50 25.5 -> 13.6 ms on 2 cores, see
# CHANGELOG "Best-unit dense scores"). Concurrent requests still use every core.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

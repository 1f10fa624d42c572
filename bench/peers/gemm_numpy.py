#!/usr/bin/python3
"""OpenBLAS peer for `SlicerBridge.Bench gemm`: float32 GEMM GFLOP/s through NumPy on the same shapes.

Run: OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/peers/gemm_numpy.py [repeats]
Prints which BLAS NumPy is linked against, so the figure can be attributed.
"""
import sys
import time

import numpy as np

SHAPES = [
    ("qkv 512x2304x768", 512, 2304, 768),
    ("mlp1 512x3072x768", 512, 3072, 768),
    ("mlp2 512x768x3072", 512, 768, 3072),
    ("square 1024^3", 1024, 1024, 1024),
]


def blas_name():
    try:
        import threadpoolctl  # optional
        return ", ".join(f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)" for i in threadpoolctl.threadpool_info())
    except Exception:
        pass
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if "blas" in line.lower() and line.split()[-1].startswith("/")})
        return ", ".join(libs) or "unknown"
    except OSError:
        return "unknown"


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    rng = np.random.default_rng(1)
    a0 = np.zeros((2, 2), np.float32)
    _ = a0 @ a0  # load BLAS before reading the maps
    print(f"numpy {np.__version__}, BLAS: {blas_name()}")
    for label, m, n, k in SHAPES:
        a = (rng.random((m, k), dtype=np.float32) - 0.5)
        w = (rng.random((n, k), dtype=np.float32) - 0.5)
        wt = np.ascontiguousarray(w.T)
        c = np.empty((m, n), np.float32)
        best = float("inf")
        for r in range(repeats + 1):
            t = time.perf_counter()
            np.matmul(a, wt, out=c)
            if r > 0:
                best = min(best, time.perf_counter() - t)
        print(f"{label:22s} {2.0 * m * n * k / best / 1e9:7.1f} GFLOP/s  ({best * 1e3:.2f} ms)")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Plots the scheduler study: p99.9 slowdown against load, one line per
policy, one figure per workload (sched-<workload>.png), plus the hybrid's
recovery after the mix shift (sched-shift-recovery.png). Input: the CSV
files written by `sched_study --csv DIR`.

    src/sched/plot_study.py DIR OUTDIR
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(src, out):
    curves = defaultdict(lambda: defaultdict(list))
    with open(f"{src}/curves.csv") as f:
        for row in csv.DictReader(f):
            curves[row["workload"]][row["policy"]].append(
                (float(row["load"]), float(row["p999_slowdown"])))
    for wl, policies in curves.items():
        fig, ax = plt.subplots(figsize=(6, 4))
        for pol, pts in policies.items():
            pts.sort()
            ax.plot([p[0] for p in pts], [max(p[1], 1) for p in pts],
                    marker="o", markersize=3, label=pol)
        ax.axhline(10, color="grey", linestyle="--", linewidth=1)
        ax.set_yscale("log")
        ax.set_xlabel("offered load (fraction of 14-core capacity)")
        ax.set_ylabel("p99.9 slowdown")
        ax.set_title(f"{wl}, 14 NIC cores, Poisson (simulated)")
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        fig.savefig(f"{out}/sched-{wl.lower()}.png", dpi=110)
        plt.close(fig)
    xs, ys = [], []
    with open(f"{src}/shift.csv") as f:
        for row in csv.DictReader(f):
            xs.append(int(row["ms_after_shift"]))
            ys.append(max(float(row["p999_slowdown"]), 1))
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(xs, ys, marker="o", markersize=3)
    ax.axhline(10, color="grey", linestyle="--", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("ms after the mix shift (1 ms bins by arrival)")
    ax.set_ylabel("p99.9 slowdown")
    ax.set_title("hybrid, shifting mix at 0.8 load")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(f"{out}/sched-shift-recovery.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

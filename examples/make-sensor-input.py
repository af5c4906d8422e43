"""Regenerates examples/sensor-input.csv: a synthetic 6-axis IMU trace (100 steps) for the README's predict example."""
import math
import random

random.seed(3)
rows = ["ax,ay,az,gx,gy,gz"]
for t in range(100):
    ph = t * 0.15
    vals = [0.8 * math.sin(ph), 0.5 * math.cos(ph * 0.7), 1.0 + 0.1 * math.sin(ph * 2.1),
            0.3 * math.cos(ph * 1.3), 0.2 * math.sin(ph * 0.4), 0.1 * math.sin(ph * 3.0)]
    vals = [v + random.gauss(0, 0.02) for v in vals]
    rows.append(",".join(f"{v:.4f}" for v in vals))
open("examples/sensor-input.csv", "w").write("\n".join(rows) + "\n")

"""Writes vibration.csv: synthetic 3-axis accelerometer windows (in g) for the nanoFramework VibrationClassifier sample.

One row per window: `label` (idle / normal / fault), then 32 steps x 3 features, step-major (s0_ax, s0_ay, s0_az, s1_ax, ...),
sampled at 100 Hz like the firmware. Synthetic, not measured: idle = gravity + sensor noise; normal = a motor's running
vibration (12-18 Hz, ~0.15 g); fault = stronger vibration with a 2nd harmonic and random impacts (imbalance / bearing damage).
Deterministic (seed 6). Run from the repository root:  python3 firmware-samples/nanoframework/VibrationClassifier/model/make-vibration-data.py
"""
import math
import os
import random

STEPS, RATE, PER_CLASS = 32, 100.0, 200
random.seed(6)


def window(kind):
    tilt_x, tilt_y = random.gauss(0, 0.05), random.gauss(0, 0.05)
    freq = random.uniform(12.0, 18.0)
    phase = random.uniform(0, 2 * math.pi)
    amp = {"idle": 0.0, "normal": 0.15, "fault": 0.35}[kind] * random.uniform(0.7, 1.3)
    harm = 0.15 * random.uniform(0.7, 1.3) if kind == "fault" else 0.0
    noise = {"idle": 0.01, "normal": 0.02, "fault": 0.04}[kind]
    impacts = set(random.sample(range(STEPS), 3)) if kind == "fault" else set()
    values = []
    for t in range(STEPS):
        w = 2 * math.pi * freq * t / RATE + phase
        vib = amp * math.sin(w) + harm * math.sin(2 * w + 0.5)
        kick = random.choice((-1, 1)) * random.uniform(0.5, 0.9) if t in impacts else 0.0
        ax = tilt_x + vib + kick + random.gauss(0, noise)
        ay = tilt_y + 0.6 * amp * math.cos(w) + random.gauss(0, noise)
        az = 1.0 + 0.3 * vib + 0.5 * kick + random.gauss(0, noise)
        values += [ax, ay, az]
    return values


header = ["label"] + [f"s{t}_{a}" for t in range(STEPS) for a in ("ax", "ay", "az")]
rows = []
for i in range(PER_CLASS):
    for kind in ("idle", "normal", "fault"):
        rows.append([kind] + [f"{v:.3f}" for v in window(kind)])
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vibration.csv")
with open(out, "w") as f:
    f.write(",".join(header) + "\n")
    for r in rows:
        f.write(",".join(r) + "\n")

"""Bring-your-own training script for Slipway (and SageMaker): standard library only.

Reads every CSV file in the `train` channel (SM_CHANNEL_TRAIN; label in the first column),
fits ordinary least squares with a small ridge term (hyperparameter `l2`, default 1e-6),
prints `train_mse=<value>` for a MetricDefinition, and writes model.json to SM_MODEL_DIR.
On SIGTERM (StopTrainingJob) it stops before fitting and saves what it has, as the stop
contract asks. A failure message goes to <base>/output/failure for FailureReason.
"""
import csv
import glob
import json
import os
import signal
import sys

BASE = os.environ.get("SAGEMAKER_BASE_DIR", "/opt/ml")
MODEL_DIR = os.environ.get("SM_MODEL_DIR", os.path.join(BASE, "model"))
TRAIN_DIR = os.environ.get("SM_CHANNEL_TRAIN", os.path.join(BASE, "input", "data", "train"))
HPS = json.loads(os.environ.get("SM_HPS", "{}"))

stop = {"requested": False}
signal.signal(signal.SIGTERM, lambda *_: stop.update(requested=True))


def fail(message):
    os.makedirs(os.path.join(BASE, "output"), exist_ok=True)
    with open(os.path.join(BASE, "output", "failure"), "w") as f:
        f.write(message)
    print(message, file=sys.stderr)
    sys.exit(1)


def read_rows():
    rows = []
    for path in sorted(glob.glob(os.path.join(TRAIN_DIR, "**", "*"), recursive=True)):
        if not os.path.isfile(path):
            continue
        with open(path, newline="") as f:
            for line in csv.reader(f):
                if line:
                    rows.append([float(v) for v in line])
    return rows


def solve(a, b):
    """Gaussian elimination with partial pivoting: a x = b."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        if abs(m[col][col]) < 1e-12:
            fail("ClientError: the features are linearly dependent")
        for r in range(n):
            if r != col:
                factor = m[r][col] / m[col][col]
                for c in range(col, n + 1):
                    m[r][c] -= factor * m[col][c]
    return [m[i][n] / m[i][i] for i in range(n)]


def main():
    rows = read_rows()
    if not rows:
        fail("ClientError: no CSV rows in the train channel (%s)" % TRAIN_DIR)
    l2 = float(HPS.get("l2", 1e-6))
    xs = [[1.0] + r[1:] for r in rows]  # intercept first
    ys = [r[0] for r in rows]
    k = len(xs[0])
    xtx = [[sum(x[i] * x[j] for x in xs) + (l2 if i == j and i > 0 else 0.0) for j in range(k)] for i in range(k)]
    xty = [sum(x[i] * y for x, y in zip(xs, ys)) for i in range(k)]
    os.makedirs(MODEL_DIR, exist_ok=True)
    if stop["requested"]:
        print("SIGTERM before fitting: saving an empty model")
        weights = [0.0] * k
    else:
        weights = solve(xtx, xty)
    mse = sum((sum(w * v for w, v in zip(weights, x)) - y) ** 2 for x, y in zip(xs, ys)) / len(rows)
    print("rows=%d features=%d" % (len(rows), k - 1))
    print("train_mse=%.6f" % mse)
    with open(os.path.join(MODEL_DIR, "model.json"), "w") as f:
        json.dump({"intercept": weights[0], "coefficients": weights[1:]}, f)


if __name__ == "__main__":
    main()

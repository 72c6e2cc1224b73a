"""Measures Optuna's samplers on the sampler bench's test functions; writes experiments/tune/optuna-reference.json.

    pip install optuna==5.0.0            (numpy comes with it)
    nice -n 10 python3 experiments/tune/optuna-reference.py --function mixed --repeats 1000

For every repeat r (sampler seed r) it runs one study of 60 trials, minimising the function, and records the best
regret (best value - the function's minimum). The functions are the same as in experiments/bench-sampler.ts,
written again here term by term. Samplers: "default" = TPESampler(seed=r) with every other setting at Optuna's
default; "univariate" = TPESampler(seed=r, multivariate=False); "random" = RandomSampler(seed=r).

The JSON is updated in place: the lists of the functions and samplers named on the command line are extended
(repeats already stored are kept, never re-measured, so a run can be stopped and continued; a list measured
with another Optuna version is refused), the others are left alone. Provenance (Optuna, numpy and Python versions, date) is written per list, as lists may be measured at
different times.
"""

import argparse
import datetime
import json
import math
import os
import platform
import sys
import time

import numpy
import optuna

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "optuna-reference.json")
TRIALS = 60


def branin(trial):
    x1 = trial.suggest_float("x1", -5, 10)
    x2 = trial.suggest_float("x2", 0, 15)
    b = 5.1 / (4 * math.pi**2)
    c = 5 / math.pi
    s = 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - s) * math.cos(x1) + 10


H6_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
H6_P = [
    [v * 1e-4 for v in row]
    for row in [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
]
H6_ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(trial):
    x = [trial.suggest_float(f"x{j}", 0, 1) for j in range(6)]
    total = 0.0
    for i in range(4):
        inner = sum(H6_A[i][j] * (x[j] - H6_P[i][j]) ** 2 for j in range(6))
        total += H6_ALPHA[i] * math.exp(-inner)
    return -total


ACTIVATION_PENALTY = {"tanh": 0.3, "relu": 0.0, "elu": 0.6}


def mixed(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    ent = trial.suggest_float("ent", 1e-4, 1e-1, log=True)
    clip = trial.suggest_float("clip", 0.05, 0.5)
    batch = trial.suggest_int("batch", 8, 1024, log=True)
    activation = trial.suggest_categorical("activation", ["tanh", "relu", "elu"])
    return (
        (math.log10(lr / 3e-3) - 0.5 * math.log10(batch / 64)) ** 2
        + 0.5 * math.log10(ent / 1e-2) ** 2
        + 10 * (clip - 0.2) ** 2
        + 0.25 * math.log2(batch / 64) ** 2
        + ACTIVATION_PENALTY[activation]
    )


FUNCTIONS = {
    "branin": (branin, 0.39788735772973816),
    "hartmann6": (hartmann6, -3.322368011415515),
    "mixed": (mixed, 0.0),
}

SAMPLERS = {
    "default": lambda seed: optuna.samplers.TPESampler(seed=seed),
    "univariate": lambda seed: optuna.samplers.TPESampler(seed=seed, multivariate=False),
    "random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
}


def best_regret(name, sampler, seed):
    f, minimum = FUNCTIONS[name]
    study = optuna.create_study(direction="minimize", sampler=SAMPLERS[sampler](seed))
    study.optimize(f, n_trials=TRIALS)
    return round(study.best_value - minimum, 6)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--function", choices=sorted(FUNCTIONS), action="append", required=True)
    parser.add_argument("--sampler", choices=sorted(SAMPLERS), action="append")
    parser.add_argument("--repeats", type=int, required=True, help="extend each list to this many repeats")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data = json.load(open(OUT)) if os.path.exists(OUT) else {}
    data["trials"] = TRIALS
    data["note"] = (
        "best regret after 60 trials per repeat r (sampler seed r, repeats in order from 0); "
        "default = TPESampler(seed=r), univariate = TPESampler(seed=r, multivariate=False), "
        "random = RandomSampler(seed=r); written by optuna-reference.py"
    )
    results = data.setdefault("regrets", {})
    for name in args.function:
        for sampler in args.sampler or ["default"]:
            entry = results.setdefault(name, {}).setdefault(sampler, {"values": []})
            values = entry["values"]
            if values and len(values) < args.repeats and entry.get("optuna") != optuna.__version__:
                # One list, one Optuna: a list measured with another version is re-measured from scratch.
                sys.exit(
                    f"{name} {sampler}: the stored repeats come from Optuna {entry.get('optuna')}, this is "
                    f"{optuna.__version__}; delete that list from {OUT} to measure it again"
                )
            start = time.process_time()
            added = 0
            while len(values) < args.repeats:
                values.append(best_regret(name, sampler, len(values)))
                added += 1
                if len(values) % 50 == 0 or len(values) == args.repeats:
                    save(data, entry, added, start)
                    print(f"{name} {sampler}: {len(values)} repeats", file=sys.stderr, flush=True)
    with open(OUT, "w") as fh:
        json.dump(data, fh, separators=(",", ":"))
        fh.write("\n")


def save(data, entry, added, start):
    entry["optuna"] = optuna.__version__
    entry["numpy"] = numpy.__version__
    entry["python"] = platform.python_version()
    entry["measured"] = datetime.date.today().isoformat()
    if added:
        entry["cpuSecondsPerRepeat"] = round((time.process_time() - start) / added, 3)
    with open(OUT, "w") as fh:
        json.dump(data, fh, separators=(",", ":"))
        fh.write("\n")


if __name__ == "__main__":
    main()

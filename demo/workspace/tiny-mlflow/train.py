"""A tiny training script to try Runlens' "Train" loop with nothing installed but Python 3.

Trains a logistic regression on a fixed synthetic two-class dataset (pure Python) and logs the run the way
MLflow's file store does — mlruns/<experiment>/<run>/{meta.yaml,params,metrics,tags,artifacts} next to this
file — with the held-out predictions as artifacts/predictions.csv, so that Runlens can evaluate it.

    python3 train.py --lr 0.1 --epochs 20
    python3 train.py --crash-at-epoch 3      # dies mid-run (like an out-of-memory kill): status stays RUNNING
"""
import argparse
import json
import math
import os
import random
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


def dataset(seed=0, n=400):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = i % 2
        x1 = rng.gauss(1.0 if label else -1.0, 1.2)
        x2 = rng.gauss(0.5 if label else -0.5, 1.0)
        group = "a" if rng.random() < 0.6 else "b"
        rows.append((i, x1, x2, group, label))
    return rows[: n * 3 // 4], rows[n * 3 // 4 :]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


class MlflowFileRun:
    """The parts of MLflow's file store a run needs, written as MLflow writes them."""

    def __init__(self, root, experiment, name):
        self.exp_dir = os.path.join(root, "1")
        if not os.path.exists(os.path.join(self.exp_dir, "meta.yaml")):
            now = int(time.time() * 1000)
            write(os.path.join(self.exp_dir, "meta.yaml"), f"artifact_location: file://{self.exp_dir}\ncreation_time: {now}\n"
                  f"experiment_id: '1'\nlast_update_time: {now}\nlifecycle_stage: active\nname: {json.dumps(experiment)}\n")
        self.id = uuid.uuid4().hex
        self.dir = os.path.join(self.exp_dir, self.id)
        self.name = name
        self.start = int(time.time() * 1000)
        self.meta(1, None)
        for key, value in {"mlflow.runName": name, "mlflow.source.name": os.path.abspath(__file__), "mlflow.source.type": "LOCAL",
                           "mlflow.user": os.environ.get("USER", "user")}.items():
            write(os.path.join(self.dir, "tags", key), value)

    def meta(self, status, end):
        write(os.path.join(self.dir, "meta.yaml"), f"artifact_uri: file://{self.dir}/artifacts\nend_time: {'null' if end is None else end}\n"
              f"entry_point_name: ''\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: {self.id}\nrun_name: {json.dumps(self.name)}\n"
              f"run_uuid: {self.id}\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: {self.start}\nstatus: {status}\n"
              f"tags: []\nuser_id: {os.environ.get('USER', 'user')}\n")

    def param(self, key, value):
        write(os.path.join(self.dir, "params", key), str(value))

    def metric(self, key, value, step):
        path = os.path.join(self.dir, "metrics", key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{int(time.time() * 1000)} {value} {step}\n")

    def end(self, status):
        self.meta(status, int(time.time() * 1000))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--l2", type=float, default=0.0, help="weight decay")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run-name", dest="run_name", default=None, help="the run's name (default: lr and epochs)")
    parser.add_argument("--note", default="", help="free text stored as a param")
    parser.add_argument("--shuffle", action="store_true", help="shuffle the training rows every epoch")
    parser.add_argument("--crash-at-epoch", dest="crash_at_epoch", type=int, default=-1, help="die without cleaning up")
    args = parser.parse_args()

    train, test = dataset()
    run = MlflowFileRun(os.path.join(HERE, "mlruns"), "tiny", args.run_name or f"lr={args.lr} epochs={args.epochs}")
    for key in ("lr", "epochs", "l2", "seed", "note", "shuffle"):
        run.param(key, getattr(args, key))
    rng = random.Random(args.seed)
    w = [0.0, 0.0, 0.0]

    def prob(x1, x2):
        z = w[0] + w[1] * x1 + w[2] * x2
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    for epoch in range(args.epochs):
        if epoch == args.crash_at_epoch:
            print(f"crashing at epoch {epoch} as asked", flush=True)
            os._exit(3)
        rows = list(train)
        if args.shuffle:
            rng.shuffle(rows)
        loss = 0.0
        for _, x1, x2, _, y in rows:
            p = prob(x1, x2)
            loss -= math.log(max(1e-12, p if y else 1 - p))
            g = p - y
            w[0] -= args.lr * g
            w[1] -= args.lr * (g * x1 + args.l2 * w[1])
            w[2] -= args.lr * (g * x2 + args.l2 * w[2])
        val_acc = sum((prob(x1, x2) >= 0.5) == bool(y) for _, x1, x2, _, y in test) / len(test)
        run.metric("train_loss", loss / len(rows), epoch)
        run.metric("val_acc", val_acc, epoch)
        print(f"epoch {epoch}: train_loss {loss / len(rows):.4f} val_acc {val_acc:.4f}", flush=True)

    lines = ["id,label,predicted,score,group"]
    for i, x1, x2, group, y in test:
        p = prob(x1, x2)
        lines.append(f"{i},{y},{int(p >= 0.5)},{p:.6f},{group}")
    write(os.path.join(run.dir, "artifacts", "predictions.csv"), "\n".join(lines) + "\n")
    run.end(3)
    print(f"run {run.id} finished: val_acc {val_acc:.4f}")


if __name__ == "__main__":
    main()

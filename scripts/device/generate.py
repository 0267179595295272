"""Generate real training logs and scikit-learn oracle values for Runlens' tests.

Run on a machine with PyTorch, Lightning, Transformers and scikit-learn (the project's GPU device):
    python3 scripts/device/generate.py OUT_DIR
Writes OUT_DIR/{hf.tar.gz, lightning.tar.gz, eval.tar.gz, versions.json}. Nothing is downloaded: models are
built from configs and data comes from scikit-learn's bundled digits set or is synthesised with a fixed seed.
"""
import json, os, sys, tarfile, traceback, random, shutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sk_oracle import sk_oracle  # noqa: E402

OUT = os.path.abspath(sys.argv[1])
WORK = "/tmp/runlens-gen"
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
os.makedirs(OUT, exist_ok=True)


def tar(name, folder, arcname):
    with tarfile.open(os.path.join(OUT, name), "w:gz") as t:
        t.add(folder, arcname=arcname)


def section(fn):
    try:
        fn()
        print("ok", fn.__name__, flush=True)
    except Exception:
        traceback.print_exc()
        print("FAILED", fn.__name__, flush=True)


def versions():
    import importlib
    v = {}
    for m in ["torch", "lightning", "transformers", "sklearn", "tensorboard", "numpy"]:
        try:
            v[m] = importlib.import_module(m).__version__
        except Exception as e:
            v[m] = "missing: %s" % e
    with open(os.path.join(OUT, "versions.json"), "w") as f:
        json.dump(v, f, indent=1)
    print(v)


def hf():
    import torch
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments
    import numpy as np
    rng = random.Random(7)
    vocab, n_labels, length = 400, 4, 24

    def example():
        label = rng.randrange(n_labels)
        ids = [rng.randrange(10, vocab) for _ in range(length)]
        for _ in range(3):  # plant label tokens so the task is learnable but noisy
            if rng.random() < 0.8:
                ids[rng.randrange(length)] = 1 + label
        return {"input_ids": torch.tensor(ids), "attention_mask": torch.ones(length, dtype=torch.long),
                "labels": torch.tensor(label)}

    train = [example() for _ in range(2000)]
    evalset = [example() for _ in range(400)]
    cfg = BertConfig(vocab_size=vocab, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=128, num_labels=n_labels, max_position_embeddings=64)
    torch.manual_seed(7)
    model = BertForSequenceClassification(cfg)
    root = os.path.join(WORK, "hf")
    os.makedirs(root)
    os.chdir(root)

    def metrics(p):
        return {"accuracy": float((np.argmax(p.predictions, -1) == p.label_ids).mean())}

    args = TrainingArguments(output_dir="results", num_train_epochs=3, per_device_train_batch_size=32,
                             per_device_eval_batch_size=64, learning_rate=5e-4, logging_steps=10,
                             eval_strategy="epoch", save_strategy="epoch", save_total_limit=2,
                             load_best_model_at_end=True, metric_for_best_model="accuracy",
                             report_to=["tensorboard"], seed=7)
    Trainer(model=model, args=args, train_dataset=train, eval_dataset=evalset, compute_metrics=metrics).train()
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            if f.endswith((".safetensors", ".bin", ".pt", ".pth")) and os.path.getsize(p) > 200_000:
                # keep the file (a real header) but only its first 64 KiB: tests read headers, never weights
                with open(p, "r+b") as fh:
                    fh.truncate(65536)
    tar("hf.tar.gz", root, "hf")


def lightning_runs():
    import torch, lightning as L
    from torch import nn
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
    from lightning.pytorch.callbacks import ModelCheckpoint
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    import numpy as np

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype("float32")
    idx = np.arange(len(y))
    tr, te = train_test_split(idx, test_size=0.3, random_state=0, stratify=y)

    class Digits(L.LightningModule):
        def __init__(self, hidden=64, optimizer={"name": "adam", "lr": 1e-3, "betas": [0.9, 0.999]},
                     data={"test_size": 0.3, "seed": 0}):
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))

        def forward(self, x):
            return self.net(x)

        def training_step(self, b, i):
            x, t = b
            loss = nn.functional.cross_entropy(self(x), t)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, b, i):
            x, t = b
            out = self(x)
            self.log("val_loss", nn.functional.cross_entropy(out, t))
            self.log("val_acc", (out.argmax(-1) == t).float().mean(), prog_bar=True)

        def configure_optimizers(self):
            o = self.hparams.optimizer
            return torch.optim.Adam(self.parameters(), lr=o["lr"], betas=tuple(o["betas"]))

    def loader(ids, shuffle):
        ds = torch.utils.data.TensorDataset(torch.tensor(X[ids]), torch.tensor(y[ids]))
        return torch.utils.data.DataLoader(ds, batch_size=64, shuffle=shuffle)

    root = os.path.join(WORK, "lightning")
    os.makedirs(root)
    os.chdir(root)
    models = []
    for version, (lr, hidden) in enumerate([(1e-3, 32), (3e-3, 128)]):
        L.seed_everything(version)
        m = Digits(hidden=hidden, optimizer={"name": "adam", "lr": lr, "betas": [0.9, 0.999]})
        loggers = [TensorBoardLogger(root, name="lightning_logs", version=version),
                   CSVLogger(root, name="lightning_logs", version=version)]
        ck = ModelCheckpoint(monitor="val_acc", mode="max", save_top_k=2)
        tr_ = L.Trainer(max_epochs=6, logger=loggers, callbacks=[ck], log_every_n_steps=5,
                        enable_progress_bar=False, accelerator="auto", devices=1)
        tr_.fit(m, loader(tr, True), loader(te, False))
        models.append(m)
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f.endswith(".ckpt"):
                p = os.path.join(dirpath, f)
                if os.path.getsize(p) > 200_000:
                    with open(p, "r+b") as fh:
                        fh.truncate(65536)
    tar("lightning.tar.gz", root, "lightning")

    # Predictions of the better model on the held-out split, with a segment column, plus sklearn's numbers.
    m = models[1].eval().cpu()
    with torch.no_grad():
        prob = torch.softmax(m(torch.tensor(X[te])), -1).numpy()
    pred = prob.argmax(-1)
    ink = X[te].sum(1)
    q1, q2 = np.quantile(ink, [1 / 3, 2 / 3])
    segment = np.where(ink < q1, "light", np.where(ink < q2, "medium", "heavy"))
    ev = os.path.join(WORK, "eval")
    os.makedirs(ev)
    with open(os.path.join(ev, "digits_predictions.csv"), "w") as f:
        f.write("id,ink,label,prediction," + ",".join("prob_%d" % k for k in range(10)) + "\n")
        for r, i in enumerate(te):
            f.write("%d,%s,%d,%d,%s\n" % (i, segment[r], y[i], pred[r], ",".join("%.6f" % p for p in prob[r])))
    oracle = {"multiclass": sk_oracle(y[te], pred, segment=segment)}
    # A binary task: is the digit a 3 or an 8? Scores are the model's renormalised probabilities.
    sel = np.isin(y[te], [3, 8])
    yb = (y[te][sel] == 8).astype(int)
    sb = prob[sel][:, 8] / (prob[sel][:, 3] + prob[sel][:, 8])
    pb = (sb >= 0.5).astype(int)
    with open(os.path.join(ev, "three_vs_eight.csv"), "w") as f:
        f.write("id,label,predicted,score\n")
        for i, t, p, s in zip(te[sel], yb, pb, sb):
            f.write("%d,%d,%d,%.6f\n" % (i, t, p, s))
    rs = [round(float(v), 6) for v in sb]
    oracle["binary"] = sk_oracle(yb, pb, score=np.array(rs))
    with open(os.path.join(ev, "oracle.json"), "w") as f:
        json.dump(oracle, f, indent=1)
    tar("eval.tar.gz", ev, "eval")


section(versions)
section(lightning_runs)
section(hf)

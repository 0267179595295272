"""The hyperparameter sweep that wrote this folder: PyTorch Lightning on scikit-learn's digits, a grid of
learning rate x hidden width x dropout, each run logged by the TensorBoard and CSV loggers into
lightning_logs/version_N next to this file, with the trained model's predictions on the held-out split
written beside its logs as predictions.csv (labels, per-class probabilities, an ink segment).

Needs torch, lightning and scikit-learn (it ran on a GPU machine through scripts/device/sweep.py in
the Runlens repository, which packed the result).

    python3 sweep.py                      # writes lightning_logs/ next to this file
    SWEEP_OUT=/tmp/x python3 sweep.py     # or somewhere else
"""
import itertools, os
import numpy as np
import torch, lightning as L
from torch import nn
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ROOT = os.environ.get("SWEEP_OUT") or os.path.dirname(os.path.abspath(__file__))
os.makedirs(ROOT, exist_ok=True)
X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype("float32")
tr, te = train_test_split(np.arange(len(y)), test_size=0.3, random_state=0, stratify=y)


class Net(L.LightningModule):
    def __init__(self, lr=1e-3, hidden=64, dropout=0.0, batch_size=64):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 10))

    def forward(self, x):
        return self.net(x)

    def training_step(self, b, i):
        loss = nn.functional.cross_entropy(self(b[0]), b[1])
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, b, i):
        out = self(b[0])
        self.log("val_loss", nn.functional.cross_entropy(out, b[1]))
        self.log("val_acc", (out.argmax(-1) == b[1]).float().mean())

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


def loader(ids, shuffle, bs):
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(X[ids]), torch.tensor(y[ids])), batch_size=bs, shuffle=shuffle)


ink = X[te].sum(1)
q1, q2 = np.quantile(ink, [1 / 3, 2 / 3])
segment = np.where(ink < q1, "light", np.where(ink < q2, "medium", "heavy"))

os.chdir(ROOT)
for v, (lr, hidden, dropout) in enumerate(itertools.product([3e-4, 1e-3, 3e-3, 1e-2], [32, 128], [0.0, 0.3])):
    L.seed_everything(v)
    m = Net(lr=lr, hidden=hidden, dropout=dropout)
    loggers = [TensorBoardLogger(ROOT, name="lightning_logs", version=v), CSVLogger(ROOT, name="lightning_logs", version=v)]
    L.Trainer(max_epochs=8, logger=loggers, enable_checkpointing=False, log_every_n_steps=5, enable_progress_bar=False,
              enable_model_summary=False, accelerator="auto", devices=1).fit(m, loader(tr, True, 64), loader(te, False, 256))
    m = m.eval().cpu()
    with torch.no_grad():
        prob = torch.softmax(m(torch.tensor(X[te])), -1).numpy()
    with open(os.path.join(ROOT, "lightning_logs", "version_%d" % v, "predictions.csv"), "w") as f:
        f.write("id,ink,label,prediction," + ",".join("prob_%d" % k for k in range(10)) + "\n")
        for r, i in enumerate(te):
            f.write("%d,%s,%d,%d,%s\n" % (i, segment[r], y[i], prob[r].argmax(), ",".join("%.3f" % p for p in prob[r])))
print("ok")

"""More scikit-learn oracle cases for Runlens' evaluation tests: harder and odder than a good digits model.

    python3 scripts/device/oracle.py OUT_DIR

Writes OUT_DIR/oracle2.tar.gz holding, for each case, the prediction table and <case>.oracle.json with the
numbers scikit-learn computes from it. Data: scikit-learn's bundled datasets (nothing is downloaded).
  - breast_cancer_lr.csv  binary, a logistic regression on 2 features, scores rounded to 2 decimals (ties)
  - iris_stump.csv        3 string labels, a depth-1 tree: one class is never predicted (zero division)
  - wine_jsonl.jsonl      JSON Lines, 3 classes, probabilities per class, a segment column
"""
import json, os, sys, tarfile, shutil
import numpy as np
from sklearn import metrics as M
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

OUT = os.path.abspath(sys.argv[1])
WORK = "/tmp/runlens-oracle2"
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)


def report(t, p, score=None, segment=None):
    labels = sorted(set(t.tolist()) | set(p.tolist()))
    prf = M.precision_recall_fscore_support(t, p, labels=labels, zero_division=0)
    o = {"labels": labels, "confusion": M.confusion_matrix(t, p, labels=labels).tolist(),
         "per_class": {str(l): {"precision": prf[0][k], "recall": prf[1][k], "f1": prf[2][k], "support": int(prf[3][k])}
                       for k, l in enumerate(labels)},
         "accuracy": M.accuracy_score(t, p), "balanced_accuracy": M.balanced_accuracy_score(t, p),
         "cohen_kappa": M.cohen_kappa_score(t, p), "mcc": M.matthews_corrcoef(t, p)}
    for avg in ["macro", "micro", "weighted"]:
        a = M.precision_recall_fscore_support(t, p, average=avg, zero_division=0)
        o[avg] = {"precision": a[0], "recall": a[1], "f1": a[2]}
    if segment is not None:
        o["segments"] = {s: {"n": int((segment == s).sum()), "accuracy": M.accuracy_score(t[segment == s], p[segment == s]),
                             "macro_f1": M.f1_score(t[segment == s], p[segment == s], average="macro", zero_division=0)}
                         for s in sorted(set(segment.tolist()))}
    if score is not None:
        fpr, tpr, thr = M.roc_curve(t, score)
        pr, rc, pthr = M.precision_recall_curve(t, score)
        o["roc_auc"] = M.roc_auc_score(t, score)
        o["average_precision"] = M.average_precision_score(t, score)
        o["roc_curve"] = {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": [float(x) if np.isfinite(x) else "inf" for x in thr]}
        o["pr_curve"] = {"precision": pr.tolist(), "recall": rc.tolist(), "thresholds": pthr.tolist()}
    return json.loads(json.dumps(o, default=lambda v: v.item() if hasattr(v, "item") else float(v)))


def save(name, o):
    with open(os.path.join(WORK, name + ".oracle.json"), "w") as f:
        json.dump(o, f, indent=1)


# Binary, weak model, tied scores.
X, y = load_breast_cancer(return_X_y=True)
Xtr, Xte, ytr, yte = train_test_split(X[:, [4, 9]], y, test_size=0.4, random_state=1)
s = np.round(LogisticRegression(max_iter=1000).fit(Xtr, ytr).predict_proba(Xte)[:, 1], 2)
p = (s >= 0.5).astype(int)
with open(os.path.join(WORK, "breast_cancer_lr.csv"), "w") as f:
    f.write("sample_id,y_true,y_pred,y_score\n")
    for i, (t, q, v) in enumerate(zip(yte, p, s)):
        f.write("%d,%d,%d,%.2f\n" % (i, t, q, v))
save("breast_cancer_lr", report(yte, p, score=s))

# Three string labels, a stump predicts only two of them.
X, y = load_iris(return_X_y=True)
names = np.array(["setosa", "versicolor", "virginica"])
stump = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
t, p = names[y], names[stump.predict(X)]
with open(os.path.join(WORK, "iris_stump.csv"), "w") as f:
    f.write("target,predicted_class\n")
    for a, b in zip(t, p):
        f.write("%s,%s\n" % (a, b))
save("iris_stump", report(t, p))

# JSON Lines with per-class probabilities and a segment.
X, y = load_wine(return_X_y=True)
Xtr, Xte, ytr, yte, itr, ite = train_test_split(X, y, np.arange(len(y)), test_size=0.5, random_state=3)
lr = LogisticRegression(max_iter=200).fit(Xtr[:, :3], ytr)
prob = lr.predict_proba(Xte[:, :3])
p = prob.argmax(1)
seg = np.where(Xte[:, 0] > np.median(Xte[:, 0]), "high_alcohol", "low_alcohol")
with open(os.path.join(WORK, "wine.jsonl"), "w") as f:
    for i in range(len(yte)):
        f.write(json.dumps({"id": int(ite[i]), "alcohol": seg[i], "label": int(yte[i]), "prediction": int(p[i]),
                            **{"prob_%d" % k: round(float(prob[i, k]), 6) for k in range(3)}}) + "\n")
save("wine", report(yte, p, segment=seg))

shutil.copy(__file__, os.path.join(WORK, "oracle.py"))
with tarfile.open(os.path.join(OUT, "oracle2.tar.gz"), "w:gz") as tf:
    tf.add(WORK, arcname="eval2")
print("ok", os.listdir(WORK))

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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sk_oracle import sk_oracle  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

OUT = os.path.abspath(sys.argv[1])
WORK = "/tmp/runlens-oracle2"
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)


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
save("breast_cancer_lr", sk_oracle(yte, p, score=s))

# Three string labels, a stump predicts only two of them.
X, y = load_iris(return_X_y=True)
names = np.array(["setosa", "versicolor", "virginica"])
stump = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
t, p = names[y], names[stump.predict(X)]
with open(os.path.join(WORK, "iris_stump.csv"), "w") as f:
    f.write("target,predicted_class\n")
    for a, b in zip(t, p):
        f.write("%s,%s\n" % (a, b))
save("iris_stump", sk_oracle(t, p))

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
save("wine", sk_oracle(yte, p, segment=seg))

with tarfile.open(os.path.join(OUT, "oracle2.tar.gz"), "w:gz") as tf:
    tf.add(WORK, arcname="eval2")
print("ok", os.listdir(WORK))

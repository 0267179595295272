"""scikit-learn's numbers for a prediction table: the oracle Runlens' evaluation tests compare with."""
import json
import numpy as np
from sklearn import metrics as M


def sk_oracle(t, p, segment=None, score=None):
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

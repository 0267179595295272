"""Runs the demo's hyperparameter sweep (demo/workspace/digits-sweep/sweep.py: PyTorch Lightning on
scikit-learn's digits, 16 runs with their predictions) on the GPU machine and packs the result for the demo.

    python3 scripts/device/sweep.py OUT_DIR        → OUT_DIR/sweep.tar.gz
"""
import os, runpy, shutil, sys, tarfile

OUT = os.path.abspath(sys.argv[1])
ROOT = "/tmp/runlens-sweep"
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "demo", "workspace", "digits-sweep", "sweep.py")
shutil.rmtree(ROOT, ignore_errors=True)
os.environ["SWEEP_OUT"] = ROOT
runpy.run_path(SCRIPT, run_name="__main__")
shutil.copy(SCRIPT, os.path.join(ROOT, "sweep.py"))
with tarfile.open(os.path.join(OUT, "sweep.tar.gz"), "w:gz") as t:
    t.add(ROOT, arcname="digits-sweep")
print("packed")

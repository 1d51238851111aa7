#!/usr/bin/env python3
"""Latent's GaussianMixture against scikit-learn's, on the same data and the same initial means.

  fixture  writes Tests/LatentTests/Fixtures/gmm_sklearn.safetensors: a small data set (Float32
           values), initial means, and for each covariance type scikit-learn's weights, means,
           covariances and lower bound after a fixed number of EM iterations (tol = 0).
  compare  runs both on the issue's sizes (60000 x 16 synthetic latents with diag and full,
           10000 x 784 Fashion-MNIST pixels with diag), the same number of EM iterations, and prints
           the relative differences and the EM times side by side. Needs a built `latent`
           (swift build -c release) and scikit-learn (not a dependency of the repository).

Both start from the same state: every sample is assigned to its nearest initial mean; weights and
covariances follow from those hard responsibilities, the means are the initial means (what Latent
does with `--means-init`, passed to scikit-learn as weights_init / means_init / precisions_init).
"""
import argparse, gzip, json, os, struct, subprocess, sys, tempfile, time
import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TYPES = ["full", "tied", "diag", "spherical"]


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        dtype = {np.float32: "F32", np.float64: "F64"}[array.dtype.type]
        blob = array.tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = metadata
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        dtype = {"F32": np.float32, "F64": np.float64}[info["dtype"]]
        out[name] = np.frombuffer(raw[8 + n + start:8 + n + end], dtype=dtype).reshape(info["shape"])
    return out, metadata


def initial_state(x, means, covariance_type, reg_covar):
    """weights_init, precisions_init from the hard assignment of each sample to its nearest mean."""
    d2 = ((x[:, None, :] - means[None, :, :]) ** 2).sum(-1) if x.shape[0] * means.shape[0] * x.shape[1] < 5e7 else \
        (x ** 2).sum(1)[:, None] - 2 * x @ means.T + (means ** 2).sum(1)[None, :]
    resp = np.zeros((x.shape[0], means.shape[0]))
    resp[np.arange(x.shape[0]), d2.argmin(1)] = 1
    nk, _, covariances = _estimate_gaussian_parameters(x, resp, reg_covar, covariance_type)
    weights = nk / x.shape[0]
    if covariance_type in ("full",):
        precisions = np.stack([np.linalg.inv(c) for c in covariances])
    elif covariance_type == "tied":
        precisions = np.linalg.inv(covariances)
    else:
        precisions = 1 / covariances
    return weights / weights.sum(), precisions


def sklearn_fit(x, means, covariance_type, iterations, reg_covar=1e-6):
    weights, precisions = initial_state(x, means, covariance_type, reg_covar)
    gm = GaussianMixture(len(means), covariance_type=covariance_type, tol=0, max_iter=iterations, reg_covar=reg_covar,
                         weights_init=weights, means_init=means, precisions_init=precisions)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        gm.fit(x)
        seconds = time.perf_counter() - start
    return gm, seconds


def fixture(args):
    rng = np.random.default_rng(12)
    centers = np.array([[0.0, 0.0, 0.0], [4.0, 1.0, -2.0], [-3.0, 3.0, 1.0]])
    x = np.concatenate([c + rng.normal(size=(60, 3)) * s for c, s in zip(centers, (1.0, 0.5, 1.5))])
    x = x.astype(np.float32)
    x64 = x.astype(np.float64)
    means = x64[[0, 70, 130]].copy()
    tensors = {"x": x, "means_init": means}
    metadata = {"iterations": str(args.iterations), "reg_covar": "1e-06", "sklearn": __import__("sklearn").__version__}
    for t in TYPES:
        gm, _ = sklearn_fit(x64, means, t, args.iterations)
        tensors[f"{t}.weights"] = gm.weights_
        tensors[f"{t}.means"] = gm.means_
        tensors[f"{t}.covariances"] = np.asarray(gm.covariances_, dtype=np.float64)
        tensors[f"{t}.score"] = np.array([gm.score(x64)])
        tensors[f"{t}.lower_bound"] = np.array([gm.lower_bound_])
        tensors[f"{t}.labels"] = gm.predict(x64).astype(np.float64)
    path = os.path.join(ROOT, "Tests/LatentTests/Fixtures/gmm_sklearn.safetensors")
    write_safetensors(path, tensors, metadata)
    print(f"wrote {path}")


def fmnist_pixels(count):
    with gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") as f:
        raw = f.read()
    return np.frombuffer(raw[16:16 + count * 784], dtype=np.uint8).reshape(count, 784).astype(np.float32) / 255


def synthetic_latents(count, features, rng):
    centers = rng.normal(size=(10, features)) * 2
    scales = rng.uniform(0.3, 1.5, size=(10, features))
    labels = rng.integers(0, 10, size=count)
    return (centers[labels] + rng.normal(size=(count, features)) * scales[labels]).astype(np.float32)


def relative(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / max(np.max(np.abs(np.asarray(b))), 1e-30))


def compare(args):
    rng = np.random.default_rng(0)
    latents = synthetic_latents(60000, 16, rng)
    cases = [("latents 60000x16", latents, "diag"), ("latents 60000x16", latents, "full"),
             ("pixels 10000x784", fmnist_pixels(10000), "diag")]
    cases = [c for c, key in zip(cases, ["latents-diag", "latents-full", "pixels-diag"]) if key in args.cases]
    latent = os.environ.get("LATENT", os.path.join(ROOT, ".build/release/latent"))
    print(f"{'data':18} {'type':5} {'K':>3} {'iters':>5} {'rel weights':>12} {'rel means':>10} {'rel loglik':>11} "
          f"{'sklearn s':>10} " + " ".join(f"{d + ' s':>10} {'speed-up':>8}" for d in args.devices))
    with tempfile.TemporaryDirectory() as tmp:
        for name, x, covariance_type in cases:
            x64 = x.astype(np.float64)
            means = x64[rng.choice(len(x), args.components, replace=False)]
            gm, sk_seconds = sklearn_fit(x64, means, covariance_type, args.iterations)
            data_path, means_path = os.path.join(tmp, "x.safetensors"), os.path.join(tmp, "means.safetensors")
            write_safetensors(data_path, {"x": x})
            write_safetensors(means_path, {"means": means})
            row = []
            for device in args.devices:
                out = os.path.join(tmp, device)
                result = subprocess.run([latent, "train", "gmm", "--samples", data_path, "--means-init", means_path,
                                         "--components", str(args.components), "--covariance-type", covariance_type,
                                         "--max-iter", str(args.iterations), "--tol", "0", "--device", device,
                                         "--out", out], capture_output=True, text=True)
                if result.returncode != 0:
                    sys.exit(f"latent failed: {result.stderr.strip()}")
                em_seconds = float(next(l.split()[-1] for l in result.stdout.splitlines() if l.startswith("em_seconds")))
                tensors, metadata = read_safetensors(os.path.join(out, "checkpoint.safetensors"))
                row.append((tensors, float(metadata["lower_bound"]), em_seconds))
            tensors, bound, _ = row[0]
            print(f"{name:18} {covariance_type:5} {args.components:3d} {args.iterations:5d} "
                  f"{relative(tensors['weights'], gm.weights_):12.2e} {relative(tensors['means'], gm.means_):10.2e} "
                  f"{abs(bound - gm.lower_bound_) / abs(gm.lower_bound_):11.2e} {sk_seconds:10.3f} "
                  + " ".join(f"{s:10.3f} {sk_seconds / s:7.2f}x" for _, _, s in row))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["fixture", "compare"])
    parser.add_argument("--iterations", type=int, default=None, help="EM iterations (fixture: 5, compare: 20)")
    parser.add_argument("--components", type=int, default=10)
    parser.add_argument("--cases", nargs="+", default=["latents-diag", "latents-full", "pixels-diag"])
    parser.add_argument("--devices", nargs="+", default=["cpu", "opencl"])
    args = parser.parse_args()
    if args.iterations is None:
        args.iterations = 5 if args.mode == "fixture" else 20
    fixture(args) if args.mode == "fixture" else compare(args)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch peer of graphs/anomaly.lua on images: vae.lua's VAE (784-400-20,
Bernoulli decoder, Adam 1e-3, batch 128) trained on one class, every test
image scored by its reconstruction error (one sample of z) and negative
ELBO; prints a CSV row per epoch with the AUROC of each score at telling the
other classes from the normal one.

  torch_anomaly.py --normal 0 [--epochs 10] [--threads 2] [--data DIR]
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F

from torch_peer import VAE, read_idx, train_epoch


def auroc(scores, positive):
    """Mann-Whitney AUROC, ties counted half (average ranks)."""
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    r = np.empty(len(s))
    r[order] = ranks
    npos = positive.sum()
    nneg = len(s) - npos
    return (r[positive].sum() - npos * (npos + 1) / 2) / (npos * nneg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--normal", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    x = lambda s: torch.from_numpy(read_idx(f"{a.data}/{s}-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    y = lambda s: read_idx(f"{a.data}/{s}-labels-idx1-ubyte.gz").astype(np.int64)
    train = x("train")[torch.from_numpy(y("train") == a.normal)]
    test, ytest = x("t10k"), y("t10k")
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    b, nb = 128, len(train) // 128
    print("epoch,train_loss,test_loss,auroc_rec,auroc_neg_elbo,examples_per_s", flush=True)
    for epoch in range(1, a.epochs + 1):
        order = torch.from_numpy(rng.permutation(len(train)))
        mean_loss, rate = train_epoch(model, opt, nb, b, lambda i: model.losses(train[order[i * b:(i + 1) * b]])[0])
        model.eval()
        rec, kl = [], []
        with torch.no_grad():
            for i in range(0, len(test), b):
                xb = test[i:i + b]
                h = F.relu(model.fc1(xb))
                mu, logvar = model.mu(h), model.logvar(h)
                z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
                xhat = torch.sigmoid(model.fc4(F.relu(model.fc3(z))))
                rec.append(F.binary_cross_entropy(xhat, xb, reduction="none").sum(1))
                kl.append(-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1))
        rec, kl = torch.cat(rec).numpy().astype(np.float64), torch.cat(kl).numpy().astype(np.float64)
        odd = ytest != a.normal
        print(f"{epoch},{mean_loss:.6g},{(rec + kl).mean():.6g},{auroc(rec, odd):.6g},{auroc(rec + kl, odd):.6g},{rate:.6g}",
              flush=True)


if __name__ == "__main__":
    main()

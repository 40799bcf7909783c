#!/usr/bin/python3
"""The peer for graphs/vae.lua: the same VAE (784-400-20, ReLU, sigmoid, BCE
summed over pixels + KL, nats per example), data order, batch, optimizer and
thread count, in PyTorch. Prints one line per epoch in the format vaegraph's
metrics.csv uses, so bench/vae.sh can put both side by side."""
import argparse
import gzip
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    nd = magic & 0xFF
    dims = struct.unpack(">" + "I" * nd, data[4:4 + 4 * nd])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


class VAE(nn.Module):
    def __init__(self, hidden, latent):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def losses(xhat, x, mu, logvar):
    n = x.shape[0]
    rec = F.binary_cross_entropy(xhat, x, reduction="sum") / n
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / n
    return rec, kl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    train = torch.from_numpy(read_idx(a.data + "/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    test = torch.from_numpy(read_idx(a.data + "/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    model = VAE(400, 20)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    nb, nt = len(train) // a.batch, len(test) // a.batch
    print("epoch,train_loss,test_loss,test_rec,test_kl,examples_per_s", flush=True)
    for epoch in range(1, a.epochs + 1):
        order = torch.from_numpy(rng.permutation(len(train)))
        model.train()
        total, t0 = 0.0, time.perf_counter()
        for b in range(nb):
            x = train[order[b * a.batch:(b + 1) * a.batch]]
            xhat, mu, logvar = model(x)
            rec, kl = losses(xhat, x, mu, logvar)
            loss = rec + kl
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        rate = nb * a.batch / (time.perf_counter() - t0)
        model.eval()
        sums = np.zeros(3)
        with torch.no_grad():
            for b in range(nt):
                x = test[b * a.batch:(b + 1) * a.batch]
                xhat, mu, logvar = model(x)
                rec, kl = losses(xhat, x, mu, logvar)
                sums += [(rec + kl).item(), rec.item(), kl.item()]
        sums /= nt
        print(f"{epoch},{total / nb:.6g},{sums[0]:.6g},{sums[1]:.6g},{sums[2]:.6g},{rate:.6g}", flush=True)


if __name__ == "__main__":
    main()

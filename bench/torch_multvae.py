#!/usr/bin/python3
"""PyTorch peer of graphs/multvae.lua (Liang et al. 2018's Mult-VAE): the
same users, split and fold-in/held-out clicks (from bench/ratings_split.lua),
network, dropout, KL schedule, batch, optimizer and epochs. Prints a CSV row
per epoch: training loss, test Recall@20, Recall@50, NDCG@100 (the model's
code mean on the fold-in clicks, fold-in items left out of the ranking),
and training users per second.

  torch_multvae.py SPLIT_FILE [--epochs 50] [--batch 100] [--threads 2]
"""
import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_peer import train_epoch


def read_split(path):
    train, fold, held, items = [], [], [], 0
    for line in open(path):
        kind, _, rest = line.strip().partition(" ")
        if kind == "items":
            items = int(rest)
        elif kind == "train":
            train.append([int(t) for t in rest.split()])
        elif kind == "test":
            a, _, b = rest.partition("|")
            fold.append([int(t) for t in a.split()])
            held.append([int(t) for t in b.split()])
    return items, train, fold, held


def rows(lists, n):
    x = torch.zeros(len(lists), n)
    for r, l in enumerate(lists):
        x[r, l] = 1
    return x


class MultVAE(nn.Module):
    def __init__(self, n, h=600, z=200, dropout=0.5):
        super().__init__()
        self.fc1, self.mu, self.logvar = nn.Linear(n, h), nn.Linear(h, z), nn.Linear(h, z)
        self.fc2, self.out = nn.Linear(z, h), nn.Linear(h, n)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        xn = x / torch.sqrt((x * x).sum(1, keepdim=True) + 1e-12)
        h = torch.tanh(self.fc1(self.drop(xn)))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        logits = self.out(torch.tanh(self.fc2(z)))
        nll = -(F.log_softmax(logits, 1) * x).sum(1).mean()
        kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()
        return logits, nll, kl


def ranking(logits, fold, held, k):
    """Mean Recall@k and NDCG@k over the rows (the paper's definitions)."""
    logits = logits.masked_fill(fold > 0, -math.inf)
    top = torch.topk(logits, k, 1).indices
    hits = torch.gather(held, 1, top)
    nrel = held.sum(1)
    recall = hits.sum(1) / torch.clamp(nrel, max=k)
    disc = 1 / torch.log2(torch.arange(2, k + 2, dtype=torch.float32))
    dcg = (hits * disc).sum(1)
    idcg = torch.stack([disc[:int(min(n, k))].sum() for n in nrel])
    return recall, dcg / idcg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("split")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--beta", type=float, default=0.2)
    ap.add_argument("--anneal-steps", type=int, default=1000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    n, train, fold, held = read_split(a.split)
    model = MultVAE(n)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    xf, xh, xt = rows(fold, n), rows(held, n), rows(train, n)  # dense, built once
    b, nb, steps = a.batch, len(train) // a.batch, [0]

    def step_loss(i):
        steps[0] += 1
        _, nll, kl = model(xt[torch.from_numpy(order[i * b:(i + 1) * b])])
        return nll + min(a.beta, a.beta * steps[0] / a.anneal_steps) * kl

    print("epoch,train_loss,test_recall20,test_recall50,test_ndcg100,examples_per_s", flush=True)
    for epoch in range(1, a.epochs + 1):
        order = rng.permutation(len(train))
        mean_loss, rate = train_epoch(model, opt, nb, b, step_loss)
        model.eval()
        with torch.no_grad():
            logits = torch.cat([model(xf[i:i + b])[0] for i in range(0, len(fold), b)])
            r20, _ = ranking(logits, xf, xh, min(20, n))
            r50, _ = ranking(logits, xf, xh, min(50, n))
            _, nd = ranking(logits, xf, xh, min(100, n))
        print(f"{epoch},{mean_loss:.6g},{r20.mean():.6g},{r50.mean():.6g},{nd.mean():.6g},{rate:.6g}", flush=True)


if __name__ == "__main__":
    main()

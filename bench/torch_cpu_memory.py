#!/usr/bin/env python3
"""PyTorch's memory for the bench's ResNet18 training step on the CPU, as a stand-in where no GPU
is available (on CUDA, bench/torch_step.py reports torch.cuda.max_memory_allocated instead).

The same workload as bench/torch_step.py (its resnet18, 15 classes, train-mode BatchNorm, mean
cross-entropy, Adadelta lr 1). Prints the process's peak resident set before the first step and
after each step: the growth is what the steps needed beyond the model, the input and the
libraries (activations, gradients, optimiser state, workspaces, and whatever the allocator keeps),
an upper bound on the tensors alive at the peak. Compare with the engine's "peak pool" from
`node dist/bench.js --case train --res 224 --batch 32`, which counts every GPU buffer (parameters,
gradients and optimiser state included).

Usage: /usr/bin/python3 bench/torch_cpu_memory.py [--res 224] [--batch 32] [--steps 2] [--threads 2]
"""
import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--res", type=int, default=224)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    import torch
    import torch_step

    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    net = torch_step.resnet18(torch, 15)
    net.train()
    x = torch.randn(a.batch, 3, a.res, a.res)
    y = torch.randint(0, 15, (a.batch,))
    opt = torch.optim.Adadelta(net.parameters(), lr=1.0)
    loss_fn = torch.nn.CrossEntropyLoss()
    mib = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    params = sum(t.numel() for t in net.parameters()) * 4 / 2**20
    base = mib()
    print(f"torch {torch.__version__}, {a.threads} threads, res {a.res} batch {a.batch}: peak RSS before the steps {base:.0f} MiB "
          f"(parameters {params:.0f} MiB, input {x.numel() * 4 / 2**20:.0f} MiB)")
    for i in range(a.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        now = mib()
        print(f"step {i + 1}: {time.perf_counter() - t0:.1f} s, loss {loss.item():.4f}, peak RSS {now:.0f} MiB (+{now - base:.0f})")


if __name__ == "__main__":
    main()

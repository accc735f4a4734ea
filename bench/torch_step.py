#!/usr/bin/env python3
"""The bench's ResNet18 step in PyTorch, for `node dist/bench.js --vs-torch`.

Same workload as the engine's train/infer cases: torchvision's resnet18 topology with 15
classes (defined here, so torchvision is not needed; the parameter count is checked), random init, one fixed synthetic batch (N, 3, res, res); train = zero grads, forward with
train-mode BatchNorm, mean cross-entropy, backward, Adadelta(lr=1, rho=0.9, eps=1e-6);
infer = eval-mode forward under no_grad. Warm-up steps, then the median of the timed steps,
each synchronised (CUDA: torch.cuda.synchronize; CPU is synchronous).

Prints one JSON object on the last line of stdout:
  {"torch": "...", "device": "...", "mode": "train", "median_ms": ..., "all_ms": [...], ...}
"""
import argparse
import json
import statistics
import sys
import time


def resnet18(torch, num_classes):
    """torchvision's resnet18 topology: 7x7/2 stem, 3x3/2 max pool, four stages of two
    BasicBlocks (1x1/2 conv + BN downsample where the shape changes), average pool, linear."""
    nn = torch.nn

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            identity = x if self.downsample is None else self.downsample(x)
            return self.relu(out + identity)

    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for i, width in enumerate([64, 128, 256, 512]):
        stride = 1 if i == 0 else 2
        layers += [BasicBlock(cin, width, stride), BasicBlock(width, width, 1)]
        cin = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes)]
    net = nn.Sequential(*layers)
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    params = sum(p.numel() for p in net.parameters())
    expected = 11689512 - 513 * 1000 + 513 * num_classes
    if params != expected:
        raise SystemExit(f"torch_step.py: ResNet18 has {params} parameters, expected {expected}")
    return net


def run(args):
    import torch

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    want_cuda = args.device in ("auto", "cuda")
    device = torch.device("cuda" if want_cuda and torch.cuda.is_available() else "cpu")
    if args.device == "cuda" and device.type != "cuda":
        raise SystemExit("torch_step.py: --device cuda but torch sees no CUDA device")
    torch.manual_seed(20261126)
    net = resnet18(torch, 15).to(device)
    images = torch.randn(args.batch, 3, args.res, args.res, device=device)
    labels = (torch.arange(args.batch, device=device) * 5) % 15
    loss_fn = torch.nn.CrossEntropyLoss()

    def synchronise():
        if device.type == "cuda":
            torch.cuda.synchronize()

    if args.mode == "train":
        net.train()
        optimiser = torch.optim.Adadelta(net.parameters(), lr=1.0, rho=0.9, eps=1e-6)

        def step():
            optimiser.zero_grad(set_to_none=True)
            loss = loss_fn(net(images), labels)
            loss.backward()
            optimiser.step()
            return loss

    else:
        net.eval()

        def step():
            with torch.no_grad():
                return net(images)

    def timed():
        synchronise()
        start = time.perf_counter()
        out = step()
        synchronise()
        return (time.perf_counter() - start) * 1e3, out

    first_ms, _ = timed()
    for _ in range(max(0, args.warmup - 1)):
        timed()
    times = []
    last = None
    for _ in range(args.steps):
        ms, last = timed()
        times.append(ms)
    result = {
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
        "mode": args.mode,
        "res": args.res,
        "batch": args.batch,
        "first_ms": first_ms,
        "median_ms": statistics.median(times),
        "all_ms": times,
        "img_s": args.batch * 1e3 / statistics.median(times),
    }
    if args.mode == "train":
        result["loss"] = float(last.item())
    if device.type == "cuda":
        result["peak_mem_bytes"] = torch.cuda.max_memory_allocated(device)
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mode", choices=["train", "infer"], default="train")
    p.add_argument("--res", type=int, default=64)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    args = p.parse_args()
    if args.steps < 1:
        sys.exit("torch_step.py: --steps must be at least 1")
    print(json.dumps(run(args)), flush=True)


if __name__ == "__main__":
    main()

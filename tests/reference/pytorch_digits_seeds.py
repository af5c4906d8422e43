"""PyTorch's own seed-to-seed spread on the digits task of docs/benchmarks.md.

The trainer issue compares TinyGru with one PyTorch run (98.3 %); this script trains the same reference set-up over
several seeds so that both spreads can be compared. It needs PyTorch (Debian: apt-get install python3-torch) and is
never run by CI.

    /usr/bin/python3 tests/reference/pytorch_digits_seeds.py [first_seed] [last_seed] [--anchor]

--anchor shuffles with a generator of its own seeded with the seed (as the shared torch_train_anchor.py, the
script behind issue 16's PyTorch numbers) instead of the global generator after initialization. TinyGru's side of the
comparison: dotnet run -c Release --project tests/TinyGru.Training.Benchmarks -- --ablation digits --runs 9

Set-up (the reference of docs/benchmarks.md): GRU(8→32) + Linear(32→10), pixels / 16, Adam lr 0.01, batch 32, 40 epochs,
every 5th sample (index % 5 == 0) held out as test data, one thread.
"""
import csv
import sys
import time

import torch

torch.set_num_threads(1)
rows = list(csv.reader(open("examples/digits.csv")))[1:]
labels = torch.tensor([int(r[0]) for r in rows])
pixels = torch.tensor([[float(v) / 16 for v in r[1:]] for r in rows]).reshape(-1, 8, 8)
test = torch.arange(len(rows)) % 5 == 0
x_train, y_train, x_test, y_test = pixels[~test], labels[~test], pixels[test], labels[test]


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(8, 32, batch_first=True)
        self.head = torch.nn.Linear(32, 10)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(out[:, -1])


anchor = "--anchor" in sys.argv
numbers = [a for a in sys.argv[1:] if a != "--anchor"]
first, last = (int(numbers[0]), int(numbers[1])) if len(numbers) == 2 else (1, 10)
results = []
for seed in range(first, last + 1):
    torch.manual_seed(seed)
    net = Net()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    shuffle = torch.Generator().manual_seed(seed) if anchor else None
    start = time.perf_counter()
    for epoch in range(40):
        order = torch.randperm(len(x_train), generator=shuffle)
        for i in range(0, len(order), 32):
            batch = order[i:i + 32]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        accuracy = (net(x_test).argmax(1) == y_test).float().mean().item()
    results.append(accuracy)
    print(f"seed {seed}: test accuracy {100 * accuracy:.2f} %, training {seconds:.2f} s", flush=True)
results.sort()
print(f"median {100 * results[len(results) // 2]:.2f} %, min {100 * results[0]:.2f} %, max {100 * results[-1]:.2f} %")

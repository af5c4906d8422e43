#!/usr/bin/python3
"""Gradient fixtures for training dense MLP heads and token embeddings (issue 13). Run with Debian's python3-torch
(`/usr/bin/python3 tests/reference/make_grad_fixtures_issue13.py tests/fixtures`); never from CI. The outputs are
committed; tests only read them. Same layout as grad_mse_stacked / grad_ce_last (see the shared README):

- NAME.safetensors: the model's state_dict (float32, `__metadata__ = {"format": "pt"}`): `gru.*`, the nn.Sequential head
  as `head.0`, `head.2`, … (activations are not in a state_dict; the test passes them as --head-activations would), and
  `emb.weight` [V, E] for the token case.
- NAME.expected.safetensors: `x` [B, T, I] (for tokens: the ids as floats, [B, T, 1], and `tokens` int32 [B, T]),
  `target` [B, T, O] (mse) or `labels` int32 [B] (ce), `loss` [1], and `grad.<param>` for every parameter.

The weights are drawn in float32 and stored as float32; loss and gradients are computed by autograd in float64 from
those exact values, so the reference carries no float32 rounding of its own.

1. grad_mlp_relu: GRU(3→10, 2 layers) → Linear(10→12) → ReLU → Linear(12→8) → Tanh → Linear(8→2); mean squared error
   over every step (B 4, T 12).
2. grad_embedding_ce: Embedding(20, 6) → GRU(6→12) → Linear(12→9) → Sigmoid → Linear(9→4); mean cross-entropy of the
   last step (B 6, T 9); ids repeat across the batch (scatter-add) and some ids never occur (zero gradient rows).
"""
import json, os, struct, sys

import torch

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures"


def save_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        t = t.detach().contiguous()
        dtype = {torch.float32: "F32", torch.int32: "I32"}[t.dtype]
        b = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


class Net(torch.nn.Module):
    def __init__(self, inputs, hidden, layers, head, vocabulary=None):
        super().__init__()
        if vocabulary is not None:
            self.emb = torch.nn.Embedding(vocabulary, inputs)
        self.gru = torch.nn.GRU(inputs, hidden, layers, batch_first=True)
        self.head = torch.nn.Sequential(*head)

    def forward(self, x):
        if hasattr(self, "emb"):
            x = self.emb(x)
        seq, _ = self.gru(x)
        return self.head(seq)


def write(name, net, x, loss_of, extra):
    state = {k: v.detach().clone() for k, v in net.state_dict().items()}           # float32, as stored
    save_safetensors(os.path.join(OUT, name + ".safetensors"), state, {"format": "pt"})
    net = net.double()
    y = net(x if x.dtype == torch.long else x.double())
    loss = loss_of(y)
    loss.backward()
    tensors = dict(extra)
    tensors["loss"] = loss.detach().float().reshape(1)
    for k, p in net.named_parameters():
        tensors["grad." + k] = p.grad.float()
    save_safetensors(os.path.join(OUT, name + ".expected.safetensors"), tensors)
    print(name, "loss", loss.item(), "params", [k for k, _ in net.named_parameters()])


def mlp_relu():
    torch.manual_seed(1301)
    B, T, I, O = 4, 12, 3, 2
    net = Net(I, 10, 2, [torch.nn.Linear(10, 12), torch.nn.ReLU(), torch.nn.Linear(12, 8), torch.nn.Tanh(), torch.nn.Linear(8, O)])
    x = torch.randn(B, T, I)
    target = torch.randn(B, T, O)
    write("grad_mlp_relu", net, x, lambda y: torch.nn.functional.mse_loss(y, target.double()), {"x": x, "target": target})


def embedding_ce():
    torch.manual_seed(1302)
    B, T, V, E, O = 6, 9, 20, 6, 4
    net = Net(E, 12, 1, [torch.nn.Linear(12, 9), torch.nn.Sigmoid(), torch.nn.Linear(9, O)], vocabulary=V)
    tokens = torch.randint(0, V - 3, (B, T))        # ids V−3 … V−1 never occur: their gradient rows stay 0
    tokens[:, 0] = 5                                # one id at the same step of every sequence: scatter-add sums them
    labels = torch.randint(0, O, (B,))
    write("grad_embedding_ce", net, tokens, lambda y: torch.nn.functional.cross_entropy(y[:, -1], labels),
          {"x": tokens.float().unsqueeze(-1), "tokens": tokens.int(), "labels": labels.int()})


if __name__ == "__main__":
    mlp_relu()
    embedding_ce()

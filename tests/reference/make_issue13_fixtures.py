#!/usr/bin/python3
"""Reference fixtures for issue 13 that the shared reference folder does not provide. Run with Debian's python3-torch, python3-onnx and
python3-h5py (`/usr/bin/python3 tests/reference/make_issue13_fixtures.py tests/fixtures`); never from CI. The outputs are
committed; tests only read them.

1. gru_hn_last.onnx: a 2-layer GRU whose head reads h_n[-1] (`_, h = gru(x); fc(h[-1])`), exported by torch.onnx.export
   (opset 14) — the Concat/Gather-of-states pattern. Expected y after every step = the model on every prefix.
2. keras_reset_after.keras (Keras 3 zip: config.json + model.weights.h5) and keras_embedding_legacy.h5 (Keras 2 legacy
   HDF5 with a model_config attribute): reset_after=True GRUs, which TensorFlow.js cannot run. NO Keras binary produced
   them: they are written here with h5py from the documented Keras layouts (Keras 3 `layers/<name>[/cell]/vars/<i>`,
   Keras 2 `model_weights/<layer>` with a `weight_names` attribute), with weights taken from a PyTorch model of the same
   math (nn.GRU is Keras' reset_after=True GRU) and converted to Keras' layout: kernel = [W_z; W_r; W_n]^T (gate blocks
   z, r, h in columns), recurrent_kernel likewise, bias [2, 3H] = [b_i; b_h] in z, r, h order; Dense kernel = W^T.
   Expected y comes from PyTorch.
"""
import io, json, os, struct, sys, zipfile

import h5py
import numpy as np
import torch

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures"


def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        a = np.ascontiguousarray(array)
        dtype = {np.float32: "F32", np.int32: "I32"}[a.dtype.type]
        b = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def keras_gru_weights(gru, k):
    """PyTorch layer k (rows r, z, n) → Keras kernel [I, 3H], recurrent_kernel [H, 3H] (columns z, r, h), bias [2, 3H]."""
    def zrh(m):
        r, z, n = m.chunk(3, 0)
        return torch.cat([z, r, n], 0)
    w = getattr(gru, f"weight_ih_l{k}").detach()
    u = getattr(gru, f"weight_hh_l{k}").detach()
    bi = getattr(gru, f"bias_ih_l{k}").detach()
    bh = getattr(gru, f"bias_hh_l{k}").detach()
    return [zrh(w).T.numpy().copy(), zrh(u).T.numpy().copy(), torch.stack([zrh(bi), zrh(bh)]).numpy().copy()]


def gru_config(name, units, return_sequences, hard=False):
    return {"name": name, "trainable": True, "dtype": "float32", "return_sequences": return_sequences, "return_state": False,
            "go_backwards": False, "stateful": False, "unroll": False, "zero_output_for_mask": False, "units": units,
            "activation": "tanh", "recurrent_activation": "hard_sigmoid" if hard else "sigmoid", "use_bias": True,
            "dropout": 0.0, "recurrent_dropout": 0.0, "reset_after": True, "seed": None}


def hn_last_onnx():
    torch.manual_seed(13)

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = torch.nn.GRU(3, 12, 2, batch_first=True)
            self.fc = torch.nn.Linear(12, 2)

        def forward(self, x):
            _, h = self.gru(x)
            return self.fc(h[-1])

    m = M().eval()
    T = 20
    x = torch.randn(1, T, 3)
    with torch.no_grad():
        y = torch.stack([m(x[:, : t + 1])[0] for t in range(T)])
    torch.onnx.export(m, x, os.path.join(OUT, "gru_hn_last.onnx"), input_names=["x"], output_names=["y"], opset_version=14,
                      dynamic_axes={"x": {1: "T"}})
    save_safetensors(os.path.join(OUT, "gru_hn_last.expected.safetensors"), {"x": x[0].numpy(), "y": y.numpy()})


def keras3_reset_after():
    torch.manual_seed(31)
    gru = torch.nn.GRU(4, 10, 2, batch_first=True)
    d1, d2 = torch.nn.Linear(10, 16), torch.nn.Linear(16, 3)
    T = 25
    x = torch.randn(1, T, 4)
    with torch.no_grad():
        seq, _ = gru(x)
        y = torch.softmax(d2(torch.relu(d1(seq[0]))), -1)
    layers = [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, None, 4], "dtype": "float32", "sparse": False, "name": "input_layer"}},
        {"module": "keras.layers", "class_name": "GRU", "config": gru_config("gru", 10, True)},
        {"module": "keras.layers", "class_name": "GRU", "config": gru_config("gru_1", 10, False)},
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 16, "activation": "relu", "use_bias": True}},
        {"module": "keras.layers", "class_name": "Dropout", "config": {"name": "dropout", "rate": 0.2}},
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense_1", "units": 3, "activation": "softmax", "use_bias": True}},
    ]
    config = {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": True, "layers": layers}}
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        f.create_group("vars")
        for k, name in enumerate(["gru", "gru_1"]):
            f.create_group(f"layers/{name}/vars")
            for i, a in enumerate(keras_gru_weights(gru, k)):
                f.create_dataset(f"layers/{name}/cell/vars/{i}", data=a)
        for name, lin in [("dense", d1), ("dense_1", d2)]:
            f.create_dataset(f"layers/{name}/vars/0", data=lin.weight.detach().T.numpy().copy())
            f.create_dataset(f"layers/{name}/vars/1", data=lin.bias.detach().numpy().copy())
        f.create_group("layers/dropout/vars")
    with zipfile.ZipFile(os.path.join(OUT, "keras_reset_after.keras"), "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.5.0", "date_saved": "written by tests/reference/make_issue13_fixtures.py, not by Keras"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", weights.getvalue())
    save_safetensors(os.path.join(OUT, "keras_reset_after.expected.safetensors"), {"x": x[0].numpy(), "y": y.numpy()})


def keras2_embedding_h5():
    torch.manual_seed(47)
    emb = torch.nn.Embedding(30, 6)
    gru = torch.nn.GRU(6, 9, 1, batch_first=True)
    fc = torch.nn.Linear(9, 4)
    T = 25
    tokens = torch.randint(0, 30, (1, T))
    with torch.no_grad():
        seq, _ = gru(emb(tokens))
        y = torch.softmax(fc(seq[0]), -1)
    layers = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, None], "dtype": "int32", "sparse": False, "ragged": False, "name": "tokens"}},
        {"class_name": "Embedding", "config": {"name": "embedding", "input_dim": 30, "output_dim": 6, "mask_zero": False}},
        {"class_name": "GRU", "config": gru_config("gru", 9, False)},
        {"class_name": "Dense", "config": {"name": "dense", "units": 4, "activation": "softmax", "use_bias": True}},
    ]
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}
    weights = {
        "embedding": [("embedding/embeddings:0", emb.weight.detach().numpy().copy())],
        "gru": list(zip(["gru/gru_cell/kernel:0", "gru/gru_cell/recurrent_kernel:0", "gru/gru_cell/bias:0"], keras_gru_weights(gru, 0))),
        "dense": [("dense/kernel:0", fc.weight.detach().T.numpy().copy()), ("dense/bias:0", fc.bias.detach().numpy().copy())],
    }
    with h5py.File(os.path.join(OUT, "keras_embedding_legacy.h5"), "w") as f:
        # As Keras 2's saving code writes them: byte strings, name lists as fixed-length byte arrays.
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([n.encode() for n in ["tokens", "embedding", "gru", "dense"]])
        g.create_group("tokens").attrs["weight_names"] = np.array([], dtype="S1")
        for layer, ws in weights.items():
            lg = g.create_group(layer)
            lg.attrs["weight_names"] = np.array([n.encode() for n, _ in ws])
            for n, a in ws:
                lg.create_dataset(n, data=a)
    save_safetensors(os.path.join(OUT, "keras_embedding_legacy.expected.safetensors"),
                     {"x": tokens[0].float().unsqueeze(1).numpy(), "tokens": tokens[0].int().numpy(), "y": y.numpy()})


if __name__ == "__main__":
    hn_last_onnx()
    keras3_reset_after()
    keras2_embedding_h5()
    print("wrote fixtures to", OUT)

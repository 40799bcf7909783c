"""vaegraph checkpoints and PyTorch modules, both ways, with only torch (and
the numpy it depends on) and the standard library.

A vaegraph checkpoint is a safetensors file: an 8-byte little-endian header
length, a JSON header naming each tensor's dtype, shape and byte range, then
the bytes. Parameters are named as the script names its layers
("encoder.conv1.weight") and laid out as PyTorch lays out the same layer:
linear weights [out, in], convolution weights [out, in, kh, kw], transposed
convolution weights [in, out, kh, kw]. So a module maps onto a script by
renaming alone: `names` maps a vaegraph prefix to the module's prefix, e.g.
{"encoder.conv1": "c1"}, and the suffix (".weight", ".bias") is kept.
Optimizer state ("optim/...") is vaegraph's own and is not carried over.

  load(module, path, names)   set the module's parameters from a checkpoint
  save(module, path, names)   write them as a file `vaegraph --init` reads
"""
import json
import struct

import torch

DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8), "I64": (torch.int64, 8), "I32": (torch.int32, 4),
          "U8": (torch.uint8, 1)}


def read(path):
    """{name: tensor} and the metadata of a safetensors file; errors name
    the file and what is wrong."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: {len(data)} bytes, too short for a safetensors header")
    n = struct.unpack("<Q", data[:8])[0]
    if n > len(data) - 8:
        raise ValueError(f"{path}: header of {n} bytes, but the file has {len(data) - 8} after the length")
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base, out = 8 + n, {}
    for name, t in header.items():
        if t["dtype"] not in DTYPES:
            raise ValueError(f"{path}: tensor '{name}' has dtype {t['dtype']}, not one of {sorted(DTYPES)}")
        dtype, size = DTYPES[t["dtype"]]
        lo, hi = t["data_offsets"]
        count = 1
        for d in t["shape"]:
            count *= d
        if lo < 0 or hi - lo != count * size or base + hi > len(data):
            raise ValueError(f"{path}: tensor '{name}' claims bytes {lo}..{hi} for shape {t['shape']}")
        buf = bytearray(data[base + lo:base + hi])
        out[name] = torch.frombuffer(buf, dtype=dtype).reshape(t["shape"]) if count else torch.zeros(t["shape"], dtype=dtype)
    return out, meta


def write(path, tensors, meta=None):
    """Writes {name: tensor} (float32 unless integer) as safetensors."""
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        kind = "I64" if t.dtype == torch.int64 else "F32"
        t = t.to(torch.int64 if kind == "I64" else torch.float32)
        b = t.numpy().tobytes()
        header[name] = {"dtype": kind, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if meta:
        header["__metadata__"] = {k: str(v) for k, v in meta.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def torch_name(name, names):
    """The module's name of vaegraph's parameter `name`, or None."""
    for prefix, target in names.items():
        if name == prefix:
            return target
        if name.startswith(prefix + "."):
            return target + name[len(prefix):]
    return None


def load(module, path, names):
    """Every parameter of `module` from the checkpoint at `path`; shapes
    must agree, and every parameter must be found, or nothing changes."""
    tensors, _ = read(path)
    state = module.state_dict()
    wanted = {n for n, _ in module.named_parameters()}
    found = {}
    for name, t in tensors.items():
        if name.startswith("optim/"):
            continue
        target = torch_name(name, names)
        if target is None or target not in state:
            raise ValueError(f"{path}: tensor '{name}' has no place in {type(module).__name__} (names map: {names})")
        if tuple(state[target].shape) != tuple(t.shape):
            raise ValueError(f"{path}: tensor '{name}' has shape {list(t.shape)}, {target} has {list(state[target].shape)}")
        found[target] = t
    missing = sorted(wanted - set(found))
    if missing:
        raise ValueError(f"{path}: no tensor for {', '.join(missing)}")
    with torch.no_grad():
        for target, t in found.items():
            state[target].copy_(t)


def save(module, path, names):
    """The module's parameters under vaegraph's names, for `--init`."""
    back = {v: k for k, v in names.items()}
    out = {}
    # Buffers the map names (constants vaegraph keeps as parameters) go too.
    named = list(module.named_parameters()) + [(n, b) for n, b in module.named_buffers() if n in back]
    for target, p in named:
        prefix, _, suffix = target.rpartition(".")
        name = back.get(target) or (back[prefix] + "." + suffix if prefix in back else None)
        if name is None:
            raise ValueError(f"{type(module).__name__}.{target} has no vaegraph name (names map: {names})")
        out[name] = p
    write(path, out, {"format": "pytorch weights for vaegraph --init"})

/**
 * The Python written into an exported file besides the network's classes: small helpers for what plain PyTorch
 * modules cannot express (per-side padding, channel shuffle, spatial pyramid pooling …), written only when the
 * network uses them, and the safetensors reader and writer every file ends with.
 */

/** The helpers by name, each with the helpers its code calls (written before it). */
export const HELPERS: Record<string, { code: string; needs?: string[] }> = {
    _tensors: {
        code: `def _tensors(inputs):
    """The tensors a module was called with: (a, b) or one tuple (a, b), as nn.Sequential passes them on."""
    if len(inputs) == 1 and isinstance(inputs[0], (tuple, list)):
        return tuple(inputs[0])
    return tuple(inputs)`,
    },
    Add: { needs: ['_tensors'], code: `class Add(nn.Module):
    def forward(self, *inputs):
        a, b = _tensors(inputs)
        return a + b` },
    Sub: { needs: ['_tensors'], code: `class Sub(nn.Module):
    def forward(self, *inputs):
        a, b = _tensors(inputs)
        return a - b` },
    Mul: { needs: ['_tensors'], code: `class Mul(nn.Module):
    def forward(self, *inputs):
        a, b = _tensors(inputs)
        return a * b` },
    Div: { needs: ['_tensors'], code: `class Div(nn.Module):
    def forward(self, *inputs):
        a, b = _tensors(inputs)
        return a / b` },
    MatMul: { needs: ['_tensors'], code: `class MatMul(nn.Module):
    def forward(self, *inputs):
        a, b = _tensors(inputs)
        return torch.matmul(a, b)` },
    Concat: { needs: ['_tensors'], code: `class Concat(nn.Module):
    def __init__(self, dim=1):
        super().__init__()
        self.dim = dim

    def forward(self, *inputs):
        return torch.cat(_tensors(inputs), dim=self.dim)` },
    Split: { code: `class Split(nn.Module):
    def __init__(self, sizes, dim=1):
        super().__init__()
        self.sizes = list(sizes)
        self.dim = dim

    def forward(self, x):
        return torch.split(x, self.sizes, dim=self.dim)` },
    Slice: { code: `class Slice(nn.Module):
    """Elements start, start+step, … before end along dim."""

    def __init__(self, dim, start, end, step=1):
        super().__init__()
        self.dim, self.start, self.end, self.step = dim, start, end, step

    def forward(self, x):
        index = [slice(None)] * x.dim()
        index[self.dim] = slice(self.start, self.end, self.step)
        return x[tuple(index)]` },
    Reshape: { code: `class Reshape(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(self.shape)` },
    Permute: { code: `class Permute(nn.Module):
    """torchvision.ops.Permute: the input's dimensions in the order \`dims\` (no parameters)."""

    def __init__(self, dims):
        super().__init__()
        self.dims = list(dims)

    def forward(self, x):
        return torch.permute(x, self.dims)` },
    LayerNorm2d: { code: `class LayerNorm2d(nn.LayerNorm):
    """torchvision.models.convnext.LayerNorm2d: layer norm over the channels of an NCHW tensor at each position."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)` },
    channel_shuffle: { code: `def channel_shuffle(x, groups):
    """ShuffleNet's channel shuffle: channels viewed as groups × C/groups, transposed, flattened."""
    n, c = x.shape[:2]
    return x.reshape(n, groups, c // groups, *x.shape[2:]).transpose(1, 2).reshape(x.shape)` },
    ChannelShuffle: { needs: ['channel_shuffle'], code: `class ChannelShuffle(nn.Module):
    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        return channel_shuffle(x, self.groups)` },
    spatial_pyramid_pool: { code: `def spatial_pyramid_pool(x, levels, mode='max'):
    """SPP-net: pools an l×l grid for every level l and concatenates the flattened grids."""
    pool = F.adaptive_max_pool2d if mode == 'max' else F.adaptive_avg_pool2d
    return torch.cat([pool(x, level).flatten(1) for level in levels], dim=1)` },
    SpatialPyramidPool: { needs: ['spatial_pyramid_pool'], code: `class SpatialPyramidPool(nn.Module):
    def __init__(self, levels, mode='max'):
        super().__init__()
        self.levels, self.mode = tuple(levels), mode

    def forward(self, x):
        return spatial_pyramid_pool(x, self.levels, self.mode)` },
    DeformConv2d: { needs: ['_tensors'], code: `class DeformConv2d(torchvision.ops.DeformConv2d):
    """torchvision's deformable conv, called with (x, offsets[, mask]); \`pad\` is per-side zero padding (F.pad order)."""

    def __init__(self, *args, pad=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pad = pad

    def forward(self, *inputs):
        x, offset, *mask = _tensors(inputs)
        if self.pad is not None:
            x = F.pad(x, self.pad)
        return super().forward(x, offset, mask[0] if mask else None)` },
};

for (const d of [1, 2, 3]) {
    HELPERS[`PaddedConv${d}d`] = { code: `class PaddedConv${d}d(nn.Conv${d}d):
    """nn.Conv${d}d with per-side padding \`pad\` (F.pad order: last dimension first), filled as F.pad's \`pad_mode\`."""

    def __init__(self, *args, pad, pad_mode='constant', **kwargs):
        super().__init__(*args, **kwargs)
        self.pad = tuple(pad)
        self.pad_mode = pad_mode

    def forward(self, x):
        return super().forward(F.pad(x, self.pad, mode=self.pad_mode))` };
    HELPERS[`CroppedConvTranspose${d}d`] = { code: `class CroppedConvTranspose${d}d(nn.ConvTranspose${d}d):
    """nn.ConvTranspose${d}d (padding 0) whose output loses \`crop\` = (begin, end, …) per spatial dimension, first dimension first."""

    def __init__(self, *args, crop, **kwargs):
        super().__init__(*args, **kwargs)
        self.crop = tuple(crop)

    def forward(self, x):
        y = super().forward(x)
        index = [slice(None), slice(None)]
        for i in range(y.dim() - 2):
            begin, end = self.crop[2 * i], self.crop[2 * i + 1]
            index.append(slice(begin, y.shape[2 + i] - end))
        return y[tuple(index)]` };
}

/** The end of every file: safetensors in and out, and `load_weights`. */
export const IO_CODE = `_DTYPES = {'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64,
           'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool}


def load_safetensors(path):
    """The tensors of a .safetensors file by name (read with struct and json; no extra package)."""
    with open(path, 'rb') as f:
        data = f.read()
    (length,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + length])
    start = 8 + length
    tensors = {}
    for key, info in header.items():
        if key == '__metadata__':
            continue
        begin, end = info['data_offsets']
        dtype = _DTYPES[info['dtype']]
        if end > begin:
            tensor = torch.frombuffer(bytearray(data[start + begin:start + end]), dtype=dtype)
        else:
            tensor = torch.empty(0, dtype=dtype)
        tensors[key] = tensor.reshape(info['shape'])
    return tensors


def save_safetensors(tensors, path, metadata=None):
    """Writes tensors (a state_dict) as .safetensors: float tensors as F32, integer ones as I64."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    for key, tensor in tensors.items():
        tensor = tensor.detach().cpu().contiguous()
        tensor, dtype = (tensor.to(torch.float32), 'F32') if tensor.is_floating_point() else (tensor.to(torch.int64), 'I64')
        raw = tensor.numpy().tobytes()
        header[key] = {'dtype': dtype, 'shape': list(tensor.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)


def load_weights(model, path):
    """Loads a state_dict saved as .safetensors (by \`convnet\` or save_safetensors) into the model, by name.

    Batch norm's num_batches_tracked counters may be absent; any other missing or unexpected key is an error.
    """
    state = load_safetensors(path)
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith('num_batches_tracked')]
    if missing or result.unexpected_keys:
        raise KeyError(f'{path}: missing keys {missing}, unexpected keys {result.unexpected_keys}')
    return model`;

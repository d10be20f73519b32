/**
 * The training script of `convnet export --pytorch model.py --train train.py`: a readable, `torchrun`-ready Python
 * file that trains the exported module on PyTorch's own distributed engine — DistributedDataParallel (NCCL between
 * GPUs, Gloo on CPU), DistributedSampler, torchvision's ImageFolder or synthetic data, SGD or AdamW with a cosine
 * schedule, autocast on GPUs — and saves checkpoints as safetensors under the `.convnet` names, so
 * `convnet run FILE --weights checkpoint.safetensors` runs what it trained, and a restart resumes at the step it
 * stopped.
 *
 * The Python is fixed text (`TRAIN_CODE`, ASCII only); what depends on the network — its name, input size, number of
 * classes, where the model module is — is a few constants at the top of the file and the import line, each string
 * through `pythonString`/`pythonDocText` (python-text.ts) and each number checked to be a whole number.
 */
import * as path from 'node:path';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { displayText } from '../../language/util/quote.js';
import { pythonDocText, pythonString } from './python-text.js';

/** A network the training script cannot train (it names the network and what is missing). */
export class TrainScriptError extends Error {}

export interface TrainScriptOptions {
    /** Where the exported module (model.py) is written; the script imports the network's class from it. */
    readonly modelFile: string;
    /** Where the training script is written (the import of the module is relative to it). */
    readonly trainFile: string;
    /** The class of the network in the module (`PytorchExport.className`). */
    readonly className: string;
    /** The `.convnet` file, named in the docstring. */
    readonly sourceFile?: string;
}

export interface TrainScript {
    readonly source: string;
    /** For the export's report. */
    readonly what: string;
}

const PY_KEYWORDS = new Set(['False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else',
    'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield']);

/**
 * The name the script gives the network's class, whatever the class is called: a network named after a name the
 * script defines (`main`) or a Python builtin it calls (`min`, `iter`) cannot shadow it.
 */
const MODEL_CLASS_NAME = 'Network';

/** Names the training script defines or imports at the top level: a module called one of them is loaded by its path. */
const SCRIPT_GLOBALS = new Set(['argparse', 'contextlib', 'hashlib', 'importlib', 'json', 'math', 'os', 'socket', 'struct', 'sys', 'time', 'torch', 'dist', 'F', 'DistributedDataParallel',
    'DataLoader', 'Dataset', 'DistributedSampler', 'load_weights', 'safetensors_torch', 'NETWORK', 'INPUT_CHANNELS', 'INPUT_SIZE', 'NUM_CLASSES', 'SCRIPT', 'fail',
    'parse_args', 'setup_distributed', 'SyntheticImages', 'image_folder', 'make_dataset', 'ResumableDistributedSampler', 'check_image_size', 'make_optimizer',
    'warmup_then_cosine', 'write_safetensors', 'read_safetensors', 'optimizer_file', 'save_checkpoint', 'load_checkpoint', 'weights_checksum', 'main',
    'torchvision', 'MODEL_FILE', MODEL_CLASS_NAME, '_spec', '_model_module']);

const isPythonName = (name: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !PY_KEYWORDS.has(name);

/**
 * The lines that bring the network's class and `load_weights` into the script. A module beside the script whose
 * name is a Python name is imported by name (`from model import ResNet18, load_weights`); any other is loaded from
 * its path relative to the script.
 */
function importLines(options: TrainScriptOptions): string[] {
    if (!isPythonName(options.className)) throw new TrainScriptError(`the network's class name ${displayText(options.className)} is not a Python name`);
    const modelDir = path.resolve(path.dirname(options.modelFile));
    const trainDir = path.resolve(path.dirname(options.trainFile));
    const isPy = /\.py$/.test(path.basename(options.modelFile));
    const stem = path.basename(options.modelFile).replace(/\.py$/, '');
    if (modelDir === trainDir && isPy && isPythonName(stem) && !SCRIPT_GLOBALS.has(stem)) {
        return [`from ${stem} import ${options.className} as ${MODEL_CLASS_NAME}, load_weights`];
    }
    const relative = path.relative(trainDir, path.resolve(options.modelFile)).split(path.sep).join('/');
    return [
        '# The exported module, loaded from its path relative to this script.',
        `MODEL_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), ${pythonString(relative)})`,
        '_spec = importlib.util.spec_from_file_location("convnet_model", MODEL_FILE)',
        '_model_module = importlib.util.module_from_spec(_spec)',
        '_spec.loader.exec_module(_model_module)',
        `${MODEL_CLASS_NAME} = _model_module.${options.className}`,
        'load_weights = _model_module.load_weights',
    ];
}

function wholeNumber(value: number, what: string): string {
    if (!Number.isSafeInteger(value) || value < 1) throw new TrainScriptError(`${what} is ${value}, not a positive whole number`);
    return String(value);
}

/** The training script of `graph`, whose class `options.className` is in `options.modelFile`. Throws `TrainScriptError` for a network it cannot train. */
export function exportTrainingScript(graph: NetworkGraph, options: TrainScriptOptions): TrainScript {
    const name = graph.name;
    const shown = displayText(name);
    if (graph.inputs.length !== 1) {
        throw new TrainScriptError(`network ${shown} has ${graph.inputs.length} inputs; the training script trains a network with one image input [N, C, H, W]`);
    }
    if (graph.outputs.length !== 1) {
        throw new TrainScriptError(`network ${shown} has ${graph.outputs.length} outputs; the training script trains a network with one output of class scores [N, classes]`);
    }
    const input = graph.tensors[graph.inputs[0].tensor].shape;
    const output = graph.tensors[graph.outputs[0].tensor].shape;
    if (input.length !== 4) {
        throw new TrainScriptError(`network ${shown}'s input ${graph.inputs[0].name} is ${input.join('×')}; the training script trains on images, an input of shape [N, C, H, W]`);
    }
    if (output.length !== 2) {
        throw new TrainScriptError(`network ${shown}'s output ${graph.outputs[0].name} is ${output.join('×')}; the training script trains a classifier, whose output is [N, classes]`);
    }
    if (output[1] < 2) throw new TrainScriptError(`network ${shown}'s output ${graph.outputs[0].name} has ${output[1]} class score; a classifier needs at least 2`);
    const channels = wholeNumber(input[1], `the input's channels of ${shown}`);
    const height = wholeNumber(input[2], `the input's height of ${shown}`);
    const width = wholeNumber(input[3], `the input's width of ${shown}`);
    const classes = wholeNumber(output[1], `the number of classes of ${shown}`);
    const source = options.sourceFile ? path.basename(options.sourceFile) : 'a .convnet file';
    const modelName = path.basename(options.modelFile);
    const trainName = path.basename(options.trainFile);
    const docstring = `"""Trains ${pythonDocText(name)} (from ${pythonDocText(source)}, exported to ${pythonDocText(modelName)}) with PyTorch's DistributedDataParallel.

Written by \`convnet export --pytorch ${pythonDocText(modelName)} --train ${pythonDocText(trainName)}\`. Run it with torchrun, one process per GPU (or
a few on a CPU), on one machine or on many:

    torchrun --standalone --nproc_per_node 2 ${pythonDocText(trainName)} --data synthetic --max-steps 20
    torchrun --standalone --nproc_per_node 8 ${pythonDocText(trainName)} --data /data/imagenet/train
    torchrun --nnodes 4 --nproc_per_node 8 --rdzv-backend c10d --rdzv-endpoint HOST:29400 --rdzv-id RUN ${pythonDocText(trainName)} --data ...

Each process trains on its own share of every epoch (DistributedSampler); DDP averages the gradients across all
processes during backward (one all-reduce of every parameter's gradient per step: NCCL between GPUs, Gloo on CPU);
SGD (or AdamW) follows a cosine learning-rate schedule; on GPUs the forward pass runs in mixed precision (autocast).
Rank 0 saves checkpoints as safetensors under the .convnet file's state_dict names, so
\`convnet run ${pythonDocText(source)} --weights checkpoint.safetensors\` runs what was trained; the optimizer's state goes
beside it (checkpoint.optimizer.safetensors). Started again while a checkpoint exists, it resumes from it at the
step it had reached. \`python ${pythonDocText(trainName)} --help\` lists the options.
"""`;
    const constants = [
        `# What the .convnet file says about the network (the exported module takes any batch size).`,
        `NETWORK = ${pythonString(name)}`,
        `INPUT_CHANNELS = ${channels}`,
        `INPUT_SIZE = (${height}, ${width})`,
        `NUM_CLASSES = ${classes}`,
    ];
    const body = TRAIN_CODE.replace(/\bMODEL_CLASS\b/g, MODEL_CLASS_NAME);
    const text = [docstring, IMPORTS, importLines(options).join('\n'), constants.join('\n'), body].join('\n\n') + '\n';
    return {
        source: text,
        what: `training script for ${shown} (imports ${options.className} from ${displayText(modelName)}; torchrun --nproc_per_node N ${displayText(trainName)} --data synthetic|FOLDER)`,
    };
}

const IMPORTS = `import argparse
import contextlib
import hashlib
import importlib.util
import json
import math
import os
import socket
import struct
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler

try:  # the safetensors package writes and reads checkpoints when it is installed; else the helpers below do
    import safetensors.torch as safetensors_torch
except ImportError:
    safetensors_torch = None`;

/**
 * The script after its constants. `MODEL_CLASS` stands for the network's class (its name in the script). Only ASCII,
 * no backslashes (this is a template string).
 */
const TRAIN_CODE = `SCRIPT = os.path.basename(__file__)


def fail(message):
    """Stops this process with one line naming the problem (torchrun then stops the others)."""
    print(f'{SCRIPT}: {message}', file=sys.stderr, flush=True)
    sys.exit(1)


def parse_args():
    parser = argparse.ArgumentParser(description=f'Train {NETWORK} with DistributedDataParallel; start it with torchrun.')
    parser.add_argument('--data', required=True, help="a folder of images, one subfolder per class (torchvision's ImageFolder), or 'synthetic'")
    parser.add_argument('--epochs', type=int, default=90, help='epochs; the cosine schedule spans them (default 90)')
    parser.add_argument('--max-steps', type=int, default=0, help='stop after this many steps in all (a checkpoint is saved); the schedule still spans --epochs')
    parser.add_argument('--batch-size', type=int, default=32, help='images per process (per GPU) and step (default 32); the global batch is this times the processes')
    parser.add_argument('--optimizer', choices=['sgd', 'adamw'], default='sgd', help='SGD with momentum (default) or AdamW')
    parser.add_argument('--lr', type=float, default=None, help='peak learning rate (default: 0.1 x global batch / 256 for SGD, 0.001 x global batch / 512 for AdamW)')
    parser.add_argument('--momentum', type=float, default=0.9, help='SGD momentum (default 0.9)')
    parser.add_argument('--weight-decay', type=float, default=None, help='weight decay (default 1e-4 for SGD, 0.05 for AdamW)')
    parser.add_argument('--warmup-steps', type=int, default=0, help='steps of linear warm-up before the cosine decay (default 0)')
    parser.add_argument('--image-size', type=int, nargs='+', default=None, metavar='PIXELS',
                        help=f'train on S x S (or H W) images instead of the {INPUT_SIZE[0]} x {INPUT_SIZE[1]} of the .convnet file, where the network allows it')
    parser.add_argument('--workers', type=int, default=None, help='data loading processes per training process (default 4 for a folder, 0 for synthetic data)')
    parser.add_argument('--synthetic-size', type=int, default=1024, help='images in the synthetic data set (default 1024)')
    parser.add_argument('--synthetic-classes', type=int, default=min(NUM_CLASSES, 10), help=f'classes the synthetic images use (default {min(NUM_CLASSES, 10)})')
    parser.add_argument('--checkpoint', default='checkpoint.safetensors', help='where rank 0 saves the weights (default checkpoint.safetensors); resumed from when it exists')
    parser.add_argument('--save-every', type=int, default=0, help='save a checkpoint every N steps (default: at the end of every epoch)')
    parser.add_argument('--fresh', action='store_true', help='start from the beginning even when the checkpoint exists (it is then replaced)')
    parser.add_argument('--init-weights', default=None, metavar='W.safetensors', help='start from these weights (e.g. from convnet export --seed or --weights)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the initialisation, the data order and the synthetic data (default 0)')
    parser.add_argument('--channels-last', action='store_true', help='keep images and weights in channels-last (NHWC) memory format, often faster on GPUs')
    parser.add_argument('--compile', action='store_true', help='compile the model with torch.compile (PyTorch 2.0 or later)')
    parser.add_argument('--no-amp', action='store_true', help='train in float32 on GPUs too (default: autocast to bfloat16, or float16 with loss scaling)')
    parser.add_argument('--cpu', action='store_true', help='train on the CPU (Gloo) even where GPUs are present')
    parser.add_argument('--log-every', type=int, default=10, help='print the loss every N steps (default 10)')
    parser.add_argument('--log-weights-checksum', action='store_true', help='every process prints a checksum of its weights after every step (they must agree)')
    args = parser.parse_args()
    for option in ['epochs', 'batch_size', 'synthetic_size', 'synthetic_classes', 'log_every']:
        if getattr(args, option) < 1:
            fail(f"--{option.replace('_', '-')} must be at least 1, not {getattr(args, option)}")
    for option in ['max_steps', 'save_every', 'warmup_steps']:
        if getattr(args, option) < 0:
            fail(f"--{option.replace('_', '-')} must be 0 or more, not {getattr(args, option)}")
    if args.synthetic_classes > NUM_CLASSES:
        fail(f'--synthetic-classes {args.synthetic_classes} is more than the {NUM_CLASSES} classes {NETWORK} scores')
    if args.image_size is None:
        args.image_size = INPUT_SIZE
    elif len(args.image_size) == 1:
        args.image_size = (args.image_size[0], args.image_size[0])
    elif len(args.image_size) == 2:
        args.image_size = tuple(args.image_size)
    else:
        fail('--image-size takes one number (square images) or two (height and width)')
    if args.compile and not hasattr(torch, 'compile'):
        fail(f'--compile needs PyTorch 2.0 or later (this is PyTorch {torch.__version__})')
    return args


def setup_distributed(use_cuda):
    """Joins the process group torchrun set up (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT in the
    environment): NCCL between GPUs, Gloo on CPU. Run as a plain \`python\`, the script is a group of one."""
    if 'RANK' not in os.environ:
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        os.environ.update(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1', MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    local_rank = int(os.environ['LOCAL_RANK'])
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device('cuda', local_rank)
    else:
        device = torch.device('cpu')
    dist.init_process_group('nccl' if use_cuda else 'gloo')
    return dist.get_rank(), dist.get_world_size(), device


class SyntheticImages(Dataset):
    """Images made up on the fly, for trying the pipeline and measuring speed without a data set. Each class has a
    fixed random pattern and every image is its class's pattern plus noise, so the loss has something to learn."""

    def __init__(self, size, classes, image_size, seed):
        self.size, self.classes, self.shape, self.seed = size, classes, (INPUT_CHANNELS, *image_size), seed

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        label = index % self.classes
        pattern = torch.randn(self.shape, generator=torch.Generator().manual_seed(self.seed * 1000003 + label))
        noise = torch.randn(self.shape, generator=torch.Generator().manual_seed(self.seed * 1000003 + self.classes + index))
        return pattern + noise, label


def image_folder(root, image_size):
    """torchvision's ImageFolder (ROOT/CLASS/IMAGE), cropped and flipped at random, as tensors of the network's channels."""
    import torchvision.transforms as T
    from torchvision.datasets import ImageFolder
    if INPUT_CHANNELS == 3:
        mode, mean, std = 'RGB', [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]  # ImageNet's statistics
    elif INPUT_CHANNELS == 1:
        mode, mean, std = 'L', [0.5], [0.5]
    else:
        fail(f'{NETWORK} takes {INPUT_CHANNELS} channels; image folders give 1 (grey) or 3 (RGB); use --data synthetic or your own Dataset')
    transform = T.Compose([
        T.Lambda(lambda image: image.convert(mode)),
        T.RandomResizedCrop(image_size),
        T.RandomHorizontalFlip(),
        T.ToTensor(),
        T.Normalize(mean, std),
    ])
    dataset = ImageFolder(root, transform=transform)
    if len(dataset.classes) > NUM_CLASSES:
        fail(f'{root} has {len(dataset.classes)} classes (subfolders) but {NETWORK} scores {NUM_CLASSES}; change the last layer in the .convnet file')
    return dataset


def make_dataset(args):
    if args.data == 'synthetic':
        return SyntheticImages(args.synthetic_size, args.synthetic_classes, args.image_size, args.seed)
    if not os.path.isdir(args.data):
        fail(f"--data {args.data}: not a folder; give a folder of images with one subfolder per class, or 'synthetic'")
    return image_folder(args.data, args.image_size)


class ResumableDistributedSampler(DistributedSampler):
    """DistributedSampler that can start an epoch part-way, at the batch a resumed run had reached."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start = 0

    def set_epoch(self, epoch, start=0):
        super().set_epoch(epoch)
        self.start = start

    def __iter__(self):
        return iter(list(super().__iter__())[self.start:])

    def __len__(self):
        return self.num_samples - self.start


def check_image_size(model, image_size):
    """Runs two blank images through the model, so that an image size the network cannot take fails here, in one line."""
    model.eval()
    with torch.no_grad():
        try:
            scores = model(torch.zeros(2, INPUT_CHANNELS, *image_size))
        except RuntimeError as e:
            fail(f'{NETWORK} cannot take {image_size[0]} x {image_size[1]} images ({str(e).splitlines()[0]}); '
                 f'the .convnet file declares {INPUT_SIZE[0]} x {INPUT_SIZE[1]}; choose another --image-size')
    model.train()
    if tuple(scores.shape) != (2, NUM_CLASSES):
        fail(f'{NETWORK} gives scores of shape {tuple(scores.shape)} for 2 images; training needs (2, {NUM_CLASSES})')


def make_optimizer(args, model, global_batch):
    if args.optimizer == 'sgd':
        lr = args.lr if args.lr is not None else 0.1 * global_batch / 256
        decay = args.weight_decay if args.weight_decay is not None else 1e-4
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=args.momentum, weight_decay=decay)
    lr = args.lr if args.lr is not None else 0.001 * global_batch / 512
    decay = args.weight_decay if args.weight_decay is not None else 0.05
    return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=decay)


def warmup_then_cosine(step, warmup_steps, total_steps):
    """The learning rate of a step as a fraction of the peak: linear warm-up, then half a cosine down to 0."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


_SAFETENSORS_DTYPES = {'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64,
                       'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool}


def write_safetensors(tensors, path, metadata):
    """Writes tensors (by name) and metadata (strings) as a .safetensors file: with the safetensors package when it is
    installed, else directly. The format: an 8-byte little-endian header length, a JSON header giving each tensor's
    dtype, shape and byte range (and the metadata under __metadata__), then the tensors' raw little-endian bytes.
    The file is written under a temporary name and then renamed, so a crash never leaves half a checkpoint."""
    tensors = {name: tensor.detach().cpu().contiguous() for name, tensor in tensors.items()}
    temporary = f'{path}.tmp{os.getpid()}'
    if safetensors_torch is not None:
        safetensors_torch.save_file(tensors, temporary, metadata=metadata)
    else:
        names = {dtype: name for name, dtype in _SAFETENSORS_DTYPES.items()}
        header, chunks, offset = {'__metadata__': metadata}, [], 0
        for name, tensor in tensors.items():
            if tensor.dtype not in names:
                raise ValueError(f'{name}: safetensors has no dtype for {tensor.dtype}')
            array = (tensor.view(torch.int16) if tensor.dtype == torch.bfloat16 else tensor).numpy()
            raw = array.astype(array.dtype.newbyteorder('<'), copy=False).tobytes()
            header[name] = {'dtype': names[tensor.dtype], 'shape': list(tensor.shape), 'data_offsets': [offset, offset + len(raw)]}
            chunks.append(raw)
            offset += len(raw)
        text = json.dumps(header).encode('utf-8')
        text += b' ' * (-len(text) % 8)  # the tensors start 8-byte aligned
        with open(temporary, 'wb') as f:
            f.write(struct.pack('<Q', len(text)))
            f.write(text)
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
    os.replace(temporary, path)


def read_safetensors(path):
    """The tensors of a .safetensors file by name, and its metadata (see write_safetensors)."""
    if safetensors_torch is not None:
        from safetensors import safe_open
        with safe_open(path, framework='pt') as f:
            return {name: f.get_tensor(name) for name in f.keys()}, f.metadata() or {}
    with open(path, 'rb') as f:
        data = f.read()
    (length,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop('__metadata__', None) or {}
    body = data[8 + length:]
    tensors = {}
    for name, info in header.items():
        begin, end = info['data_offsets']
        dtype = _SAFETENSORS_DTYPES[info['dtype']]
        # frombuffer reads the machine's byte order: little-endian on every machine PyTorch runs on.
        tensor = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        tensors[name] = tensor.reshape(info['shape'])
    return tensors, metadata


def optimizer_file(checkpoint):
    """checkpoint.safetensors -> checkpoint.optimizer.safetensors"""
    stem, extension = os.path.splitext(checkpoint)
    return f'{stem}.optimizer{extension or ".safetensors"}'


def save_checkpoint(path, model, optimizer, scheduler, scaler, step):
    """Saves (on rank 0) the model's state_dict under the .convnet names at PATH, and the optimizer's state by
    parameter name with the schedule, the loss scaler and the step beside it. The optimizer's file goes first: a
    checkpoint whose two files disagree on the step is refused when resuming."""
    names = [name for name, _ in model.named_parameters()]
    state = optimizer.state_dict()
    tensors, values = {}, {}
    for index, slots in state['state'].items():
        for key, value in slots.items():
            if torch.is_tensor(value):
                tensors[f'{names[index]}/{key}'] = value
            else:
                values[f'{names[index]}/{key}'] = value
    metadata = {
        'step': str(step),
        'network': NETWORK,
        'param_groups': json.dumps(state['param_groups']),
        'values': json.dumps(values),
        'scheduler': json.dumps(scheduler.state_dict()),
        'scaler': json.dumps(scaler.state_dict()) if scaler.is_enabled() else '{}',
    }
    write_safetensors(tensors, optimizer_file(path), metadata)
    write_safetensors(model.state_dict(), path, {'format': 'pt', 'network': NETWORK, 'step': str(step), 'producer': SCRIPT})


def load_checkpoint(path, model, optimizer, scheduler, scaler):
    """Loads what save_checkpoint wrote into the model, the optimizer, the schedule and the scaler; returns the step."""
    if not os.path.exists(optimizer_file(path)):
        fail(f'{path} has no {optimizer_file(path)} beside it to resume from; give --fresh to start over, or --init-weights {path} to start from its weights')
    weights, metadata = read_safetensors(path)
    tensors, saved = read_safetensors(optimizer_file(path))
    if metadata.get('step') != saved.get('step') or 'step' not in metadata:
        fail(f'{path} (step {metadata.get("step")}) and {optimizer_file(path)} (step {saved.get("step")}) are not from the same step; give --fresh to start over')
    try:
        model.load_state_dict(weights)
    except RuntimeError as e:
        fail(f'{path} does not fit {NETWORK}: {str(e).splitlines()[0]}')
    names = [name for name, _ in model.named_parameters()]
    values = json.loads(saved['values'])
    state = {}
    for index, name in enumerate(names):
        slots = {key[len(name) + 1:]: tensor for key, tensor in tensors.items() if key.rsplit('/', 1)[0] == name}
        slots.update({key[len(name) + 1:]: value for key, value in values.items() if key.rsplit('/', 1)[0] == name})
        if slots:
            state[index] = slots
    optimizer.load_state_dict({'state': state, 'param_groups': json.loads(saved['param_groups'])})
    scheduler.load_state_dict(json.loads(saved['scheduler']))
    if scaler.is_enabled() and saved.get('scaler', '{}') != '{}':
        scaler.load_state_dict(json.loads(saved['scaler']))
    return int(metadata['step'])


def weights_checksum(model):
    """A SHA-256 of every parameter's bytes: equal on every process when DDP keeps them in step."""
    digest = hashlib.sha256()
    for _, parameter in model.named_parameters():
        digest.update(parameter.detach().float().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def main():
    args = parse_args()
    use_cuda = torch.cuda.is_available() and not args.cpu
    rank, world_size, device = setup_distributed(use_cuda)
    torch.manual_seed(args.seed)  # the same initial weights everywhere (DDP also copies rank 0's to the others)
    say = print if rank == 0 else (lambda *a, **k: None)

    dataset = make_dataset(args)
    sampler = ResumableDistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=args.seed, drop_last=True)
    workers = args.workers if args.workers is not None else (0 if args.data == 'synthetic' else 4)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler, num_workers=workers, pin_memory=use_cuda,
                        drop_last=True, persistent_workers=workers > 0)
    steps_per_epoch = sampler.num_samples // args.batch_size
    if steps_per_epoch == 0:
        fail(f'{len(dataset)} images make no batch of {args.batch_size} on each of {world_size} processes; give a smaller --batch-size')
    total_steps = args.epochs * steps_per_epoch

    model = MODEL_CLASS()
    check_image_size(model, args.image_size)
    if args.init_weights:
        load_weights(model, args.init_weights)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(device, memory_format=memory_format)
    global_batch = args.batch_size * world_size
    optimizer = make_optimizer(args, model, global_batch)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: warmup_then_cosine(step, args.warmup_steps, total_steps))
    amp_dtype = None
    if use_cuda and not args.no_amp:
        amp_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.cuda.amp.GradScaler(enabled=amp_dtype == torch.float16)  # float16 needs its loss scaled; bfloat16 does not

    step = 0
    if os.path.exists(args.checkpoint) and not args.fresh:
        step = load_checkpoint(args.checkpoint, model, optimizer, scheduler, scaler)
        say(f'resuming from {args.checkpoint} at step {step}', flush=True)

    ddp_model = DistributedDataParallel(model, device_ids=[device.index] if use_cuda else None)
    train_model = torch.compile(ddp_model) if args.compile else ddp_model
    parameters = sum(p.numel() for p in model.parameters())
    say(f'{NETWORK}: {parameters:,} parameters; {world_size} process(es) on {device.type} ({dist.get_backend()}); '
        f'batch {args.batch_size} per process, {global_batch} in all; {steps_per_epoch} steps per epoch, {total_steps} in all; '
        f'all-reduce of {parameters * 4 / 2**20:.1f} MiB of gradients per step', flush=True)

    def save(step):
        if rank == 0:
            save_checkpoint(args.checkpoint, model, optimizer, scheduler, scaler, step)
            print(f'saved {args.checkpoint} at step {step}', flush=True)
        dist.barrier()  # nobody moves on (or exits) before the checkpoint is complete

    last_step = min(total_steps, args.max_steps) if args.max_steps else total_steps
    started, images_seen = time.time(), 0
    while step < last_step:
        epoch = step // steps_per_epoch
        sampler.set_epoch(epoch, start=(step - epoch * steps_per_epoch) * args.batch_size)
        for images, labels in loader:
            images = images.to(device, non_blocking=True, memory_format=memory_format)
            labels = labels.to(device, non_blocking=True)
            with torch.autocast('cuda', dtype=amp_dtype) if amp_dtype else contextlib.nullcontext():
                loss = F.cross_entropy(train_model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()  # DDP averages the gradients of all processes here
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            step += 1
            images_seen += global_batch
            if args.log_weights_checksum:
                print(f'rank {rank} step {step} weights {weights_checksum(model)}', flush=True)
            if step % args.log_every == 0 or step == last_step:
                mean_loss = loss.detach().float().clone()
                dist.all_reduce(mean_loss)
                mean_loss = mean_loss.item() / world_size
                say(f'step {step}/{total_steps} epoch {epoch + 1} loss {mean_loss:.4f} lr {scheduler.get_last_lr()[0]:.6f} '
                    f'{images_seen / (time.time() - started):.1f} images/s', flush=True)
            if step == last_step or (args.save_every and step % args.save_every == 0):
                save(step)
            if step == last_step:
                break
        else:
            if not args.save_every:
                save(step)
    dist.destroy_process_group()
    # What the run made stays referenced until the process leaves (below): destroyed as main returns, the DDP
    # model's reducer can hang a finished process as the interpreter's teardown can (a rank stuck there, its last
    # checkpoint saved and the other rank gone).
    return train_model, ddp_model, optimizer, scheduler, scaler, loader


if __name__ == '__main__':
    run_objects = main()
    # Every file is written and closed, the process group destroyed: leave without destroying what the run made and
    # without the interpreter's teardown, where PyTorch's Gloo and autograd threads can hang a finished process
    # (pytorch/pytorch#75097, #190489).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)`;

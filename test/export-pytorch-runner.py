"""Runs modules written by `convnet export --pytorch` for test/export-pytorch.test.ts.

Usage: python3 export-pytorch-runner.py MANIFEST.json
The manifest lists cases: {"id", "dir", "className", "inputs": [names], "outputs": [names]}; each dir holds
model.py, weights.safetensors and inputs.safetensors. For each case the module is imported, the class built in
eval mode, the weights loaded with the module's own load_weights, the inputs run, and the outputs written to
outputs.safetensors with the module's save_safetensors. The result per case (state_dict keys, or the error) is
written to results.json beside the manifest.
"""
import importlib.util
import json
import os
import sys
import traceback

import torch


def run(case, index):
    spec = importlib.util.spec_from_file_location(f'exported_{index}', os.path.join(case['dir'], 'model.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, case['className'])().eval()
    module.load_weights(model, os.path.join(case['dir'], 'weights.safetensors'))
    inputs = module.load_safetensors(os.path.join(case['dir'], 'inputs.safetensors'))
    with torch.no_grad():
        result = model(*[inputs[name] for name in case['inputs']])
    results = result if isinstance(result, tuple) else (result,)
    if len(results) != len(case['outputs']):
        raise ValueError(f"{len(results)} outputs, expected {len(case['outputs'])}")
    module.save_safetensors(dict(zip(case['outputs'], results)), os.path.join(case['dir'], 'outputs.safetensors'))
    return {'ok': True, 'state_dict': {k: list(v.shape) for k, v in model.state_dict().items()}}


def main():
    manifest_path = sys.argv[1]
    with open(manifest_path) as f:
        cases = json.load(f)
    torch.manual_seed(0)
    results = {}
    for index, case in enumerate(cases):
        try:
            results[case['id']] = run(case, index)
        except Exception:
            results[case['id']] = {'ok': False, 'error': traceback.format_exc(limit=6)}
    with open(os.path.join(os.path.dirname(manifest_path), 'results.json'), 'w') as f:
        json.dump(results, f)
    print(f'{sum(r["ok"] for r in results.values())} of {len(results)} cases ran')


if __name__ == '__main__':
    main()

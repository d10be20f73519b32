// The summary view: a sortable table of every layer with totals; the extension copies it as Markdown or CSV.
(function () {
    const vscode = acquireVsCodeApi();
    const root = document.getElementById('root');
    let state = { summary: undefined, training: undefined, errors: [], sortKey: 'order', ascending: true };
    const columns = [
        { key: 'name', title: 'Layer' }, { key: 'op', title: 'Op' }, { key: 'output', title: 'Output shape' },
        { key: 'params', title: 'Params', num: true }, { key: 'macs', title: 'MACs', num: true }, { key: 'memory', title: 'Memory (bytes)', num: true },
    ];
    const fmt = n => Math.round(n).toLocaleString('en-US');
    const shape = s => s.join('×');
    const cell = (layer, key) => key === 'output' ? shape(layer.output) : (typeof layer[key] === 'number' ? fmt(layer[key]) : layer[key]);

    function sortedLayers() {
        const layers = state.summary.layers.map((l, i) => ({ ...l, order: i }));
        const key = state.sortKey;
        layers.sort((a, b) => {
            const x = key === 'output' ? a.output.reduce((p, d) => p * d, 1) : a[key];
            const y = key === 'output' ? b.output.reduce((p, d) => p * d, 1) : b[key];
            return (x < y ? -1 : x > y ? 1 : 0) * (state.ascending ? 1 : -1);
        });
        return layers;
    }

    /** A table in a box that scrolls sideways when the panel is narrower than it (views.css). */
    function wrapped(table) {
        const box = document.createElement('div');
        box.className = 'table-wrap';
        box.append(table);
        return box;
    }

    function render() {
        root.replaceChildren();
        if (!state.summary) {
            const p = document.createElement('p');
            p.className = 'error';
            p.textContent = state.errors.length ? `Fix the errors for a summary:\n${state.errors.join('\n')}` : 'No summary.';
            root.append(p);
            return;
        }
        const s = state.summary;
        const title = document.createElement('h2');
        title.textContent = `${s.name}: ${fmt(s.params)} params · ${fmt(s.macs)} MACs · ${fmt(s.flops)} FLOPs`;
        const conventions = document.createElement('p');
        conventions.className = 'muted';
        conventions.textContent = `${s.conventions.macs} ${s.conventions.flops} Buffers (BN running statistics, ${fmt(s.buffers)}) are not parameters.`;
        const copyMd = Object.assign(document.createElement('button'), { textContent: 'Copy as Markdown', id: 'copy-markdown' });
        copyMd.onclick = () => vscode.postMessage({ type: 'copy', format: 'markdown' });
        const copyCsv = Object.assign(document.createElement('button'), { textContent: 'Copy as CSV', id: 'copy-csv' });
        copyCsv.onclick = () => vscode.postMessage({ type: 'copy', format: 'csv' });
        const table = document.createElement('table');
        const head = table.createTHead().insertRow();
        for (const c of columns) {
            const th = document.createElement('th');
            th.textContent = c.title + (state.sortKey === c.key ? (state.ascending ? ' ▲' : ' ▼') : '');
            if (c.num) th.className = 'num';
            th.onclick = () => {
                state.ascending = state.sortKey === c.key ? !state.ascending : !c.num;
                state.sortKey = c.key;
                render();
            };
            head.append(th);
        }
        const body = table.createTBody();
        for (const layer of sortedLayers()) {
            const row = body.insertRow();
            row.className = 'layer';
            row.onclick = () => vscode.postMessage({ type: 'reveal', line: layer.line - 1 });
            for (const c of columns) {
                const td = row.insertCell();
                td.textContent = c.key === 'params' && layer.params === 0 ? '—' : cell(layer, c.key);
                if (c.num) td.className = 'num';
            }
        }
        const foot = table.createTFoot().insertRow();
        for (const text of ['Total', '', s.outputs.map(o => shape(o.shape)).join(', '), fmt(s.params), fmt(s.macs), fmt(s.memory)]) {
            const td = foot.insertCell();
            td.textContent = text;
        }
        foot.id = 'totals';
        foot.dataset.params = String(s.params);
        foot.dataset.macs = String(s.macs);
        const memory = document.createElement('p');
        memory.className = 'muted';
        memory.textContent = `Activations (float32): ${fmt(s.memory)} bytes in all, peak ${fmt(s.peakMemory)} bytes alive at once.`;
        root.append(title, conventions, copyMd, copyCsv, wrapped(table), memory);
        if (state.training) root.append(...trainingSection(state.training));
    }

    const OPTIMIZERS = { 'sgd': 'SGD', 'sgd-momentum': 'SGD with momentum', 'adam': 'Adam' };
    const bytes = n => n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;

    /** The memory of one training step (settings convnet.trainingBatch and convnet.trainingOptimizer), as `convnet summary --train`. */
    function trainingSection(t) {
        const heading = document.createElement('h3');
        heading.textContent = `Training (batch ${t.batch}, ${OPTIMIZERS[t.optimizer] ?? t.optimizer})`;
        const list = document.createElement('table');
        list.id = 'training';
        const rows = [
            ['Parameters', t.parameterBytes], ['Gradients', t.gradientBytes], ['Optimizer state', t.optimizerStateBytes],
            ['Activations kept for backward', t.savedActivationBytes], ['Peak during the step', t.peakBytes],
            ['Gradient all-reduce per step (data-parallel)', t.allReduceBytes],
        ];
        for (const [label, value] of rows) {
            const row = list.insertRow();
            row.insertCell().textContent = label;
            const td = row.insertCell();
            td.textContent = bytes(value);
            td.className = 'num';
            td.title = `${fmt(value)} bytes`;
        }
        list.dataset.peak = String(t.peakBytes);
        const best = t.checkpoints.find(c => c.depth <= 1);
        const note = document.createElement('p');
        note.className = 'muted';
        note.textContent = `${best ? `Checkpointing ${best.module} would keep ${bytes(best.bytes)} less. ` : ''}Batch and optimizer: the settings convnet.trainingBatch and convnet.trainingOptimizer.`;
        return [heading, wrapped(list), note];
    }

    window.addEventListener('message', event => {
        const message = event.data;
        if (message.type === 'summary') {
            state = { ...state, summary: message.summary, training: message.training, errors: message.errors };
            render();
        }
    });
    vscode.postMessage({ type: 'ready' });
}());

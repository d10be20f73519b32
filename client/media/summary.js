// The summary view: a sortable table of every layer with totals; the extension copies it as Markdown or CSV.
// Two selectors choose its figures — whose count of the operations (a convention) and the bytes' number format — which
// the extension keeps as the settings convnet.convention and convnet.precision and answers with a new summary.
(function () {
    const vscode = acquireVsCodeApi();
    const root = document.getElementById('root');
    let state = { summary: undefined, training: undefined, roofline: undefined, insights: undefined, figures: undefined, sizes: undefined, deviceNote: undefined, errors: [], sortKey: 'order', ascending: true };
    /** The choices of language/analysis/conventions.ts CONVENTIONS and precision.ts INFERENCE_PRECISIONS (package.json's enums). */
    const CONVENTIONS = { torchvision: 'torchvision', paper: 'paper', fvcore: 'fvcore', thop: 'thop', ptflops: 'ptflops' };
    const PRECISIONS = ['fp32', 'fp16', 'bf16', 'int8'];
    const first = [{ key: 'name', title: 'Layer' }, { key: 'op', title: 'Op' }, { key: 'output', title: 'Output shape' }, { key: 'params', title: 'Params', num: true }];
    /** Without figures (an older server), the language's own count and float32 bytes. */
    const plain = [{ key: 'macs', title: 'MACs', num: true }, { key: 'memory', title: 'Memory (bytes)', num: true }];
    /** With figures: the convention's count, and activations and traffic at the precision (and BOPs for int8). */
    function figureColumns(f) {
        const p = f.precision.precision;
        return [
            { key: 'count', title: f.convention.label, num: true },
            { key: 'activation', title: `Memory (${p} bytes)`, num: true },
            { key: 'traffic', title: `Traffic (${p} bytes)`, num: true },
            ...(f.precision.bops !== undefined ? [{ key: 'bops', title: 'BOPs', num: true }] : []),
        ];
    }
    /** The Predicted column, when the setting convnet.device gives a device: the roofline's time of each layer. */
    const predictedColumn = { key: 'predicted', title: 'Predicted (ms)', num: true };
    const activeColumns = () => [...first, ...(state.figures ? figureColumns(state.figures) : plain), ...(state.roofline ? [predictedColumn] : [])];
    const fmt = n => Math.round(n).toLocaleString('en-US');
    const shape = s => s.join('×');
    const cell = (layer, key) => key === 'output' ? shape(layer.output) : key === 'predicted' ? (layer.predicted * 1e3).toFixed(3) : (typeof layer[key] === 'number' ? fmt(layer[key]) : layer[key]);

    function sortedLayers() {
        const f = state.figures;
        const layers = state.summary.layers.map((l, i) => ({
            ...l, order: i, predicted: state.roofline ? state.roofline.layers[i].seconds : 0,
            ...(f ? { count: f.convention.layers[i].count, activation: f.precision.layers[i].activationBytes, traffic: f.precision.layers[i].trafficBytes, bops: f.precision.layers[i].bops ?? 0 } : {}),
        }));
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
        const controls = state.figures ? [figureControls(state.figures)] : [];
        const table = document.createElement('table');
        const head = table.createTHead().insertRow();
        for (const c of activeColumns()) {
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
            for (const c of activeColumns()) {
                const td = row.insertCell();
                td.textContent = c.key === 'params' && layer.params === 0 ? '—' : cell(layer, c.key);
                if (c.num) td.className = 'num';
            }
        }
        const foot = table.createTFoot().insertRow();
        const f = state.figures;
        const totals = f
            ? [f.convention.total, f.precision.activationBytes, f.precision.trafficBytes, ...(f.precision.bops !== undefined ? [f.precision.bops] : [])]
            : [s.macs, s.memory];
        ['Total', '', s.outputs.map(o => shape(o.shape)).join(', '), fmt(s.params), ...totals.map(fmt), ...(state.roofline ? [(state.roofline.seconds * 1e3).toFixed(3)] : [])].forEach((text, i) => {
            const td = foot.insertCell();
            td.textContent = text;
            if (activeColumns()[i].num) td.className = 'num';
        });
        foot.id = 'totals';
        foot.dataset.params = String(s.params);
        foot.dataset.macs = String(s.macs);
        if (f) {
            foot.dataset.count = String(f.convention.total);
            foot.dataset.traffic = String(f.precision.trafficBytes);
            if (f.precision.bops !== undefined) foot.dataset.bops = String(f.precision.bops);
        }
        // The figures' lines are `convnet summary --convention --precision`'s, made by the language's own modules.
        const memory = document.createElement('div');
        memory.id = 'figure-notes';
        for (const line of f ? f.lines : [`Activations (float32): ${fmt(s.memory)} bytes in all, peak ${fmt(s.peakMemory)} bytes alive at once.`]) {
            memory.append(Object.assign(document.createElement('p'), { className: 'muted', textContent: line }));
        }
        root.append(title, conventions, ...controls, copyMd, copyCsv, wrapped(table), memory);
        if (state.sizes) root.append(...sizesSection(state.sizes));
        if (state.training) root.append(...trainingSection(state.training));
        if (state.roofline) root.append(...rooflineSection(state.roofline, state.insights ?? []));
    }

    /** "Count as [convention] · Bytes at [precision]": a change asks the extension, which answers with a new summary. */
    function figureControls(f) {
        const box = document.createElement('div');
        box.className = 'controls';
        const select = (id, label, options, value) => {
            const element = Object.assign(document.createElement('select'), { id });
            for (const [v, text] of options) element.append(Object.assign(document.createElement('option'), { value: v, textContent: text, selected: v === value }));
            element.onchange = () => vscode.postMessage({ type: 'figures', [id]: element.value });
            const wrapper = Object.assign(document.createElement('label'), { textContent: `${label} ` });
            wrapper.append(element);
            return wrapper;
        };
        box.append(
            select('convention', 'Count as', Object.entries(CONVENTIONS), f.convention.convention),
            select('precision', 'Bytes at', PRECISIONS.map(p => [p, p]), f.precision.precision),
        );
        return box;
    }

    /** `convnet summary --sizes`: each figure as a formula of the size variables, and the sizes the network takes. */
    function sizesSection(z) {
        const heading = Object.assign(document.createElement('h3'), { textContent: 'Size variables' });
        const intro = Object.assign(document.createElement('p'), { className: 'muted', textContent: z.heading });
        const table = document.createElement('table');
        table.id = 'size-formulas';
        for (const f of z.formulas) {
            const row = table.insertRow();
            row.insertCell().textContent = f.label;
            row.insertCell().textContent = f.text;
        }
        const list = document.createElement('ul');
        list.id = 'size-validity';
        for (const line of [...(z.params ? [z.params] : []), ...z.validity.map(v => v.text)]) list.append(Object.assign(document.createElement('li'), { textContent: line }));
        return [heading, intro, wrapped(table), list];
    }

    const SVG = 'http://www.w3.org/2000/svg';
    const svgElement = (name, attrs) => {
        const e = document.createElementNS(SVG, name);
        for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
        return e;
    };

    /**
     * The roofline on the device of the setting convnet.device: each layer (not fused into a conv) a point at its
     * intensity (FLOP/B) and attained rate (FLOPs / predicted time), under the roof min(peak, bandwidth × intensity),
     * both axes logarithmic; then ShuffleNet V2's guidelines with their cost.
     */
    function rooflineSection(r, insights) {
        const heading = document.createElement('h3');
        heading.textContent = `Roofline: ${r.device.name} — predicted ${(r.seconds * 1e3).toFixed(2)} ms (${r.precision})`;
        const points = r.layers.filter(l => !l.fusedInto && l.flops > 0 && l.bytes > 0 && l.seconds > 0);
        const W = 560, H = 300, left = 60, bottom = 36, top = 10, right = 10;
        const xs = points.map(l => l.intensity);
        const xMin = Math.min(0.01, ...xs) / 2, xMax = Math.max(r.ridge * 4, ...xs) * 2;
        const yMax = r.device.peakFlops * 2, yMin = Math.min(yMax / 1e5, ...points.map(l => l.flops / l.seconds)) / 2;
        const x = v => left + (W - left - right) * (Math.log10(v) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin));
        const y = v => top + (H - top - bottom) * (1 - (Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)));
        const svg = svgElement('svg', { id: 'roofline', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'roofline plot' });
        svg.append(svgElement('rect', { x: left, y: top, width: W - left - right, height: H - top - bottom, fill: 'none', stroke: 'currentColor', 'stroke-opacity': 0.3 }));
        // The roof: bandwidth × intensity up to the ridge, then the peak.
        const roofStart = Math.max(xMin, yMin / r.device.bandwidth);
        const roof = svgElement('polyline', { class: 'roof', fill: 'none', stroke: 'currentColor', 'stroke-width': 2,
            points: `${x(roofStart)},${y(roofStart * r.device.bandwidth)} ${x(r.ridge)},${y(r.device.peakFlops)} ${x(xMax)},${y(r.device.peakFlops)}` });
        svg.append(roof);
        for (const [kind, rate] of Object.entries(r.device.ceilings ?? {})) {
            if (!(rate > yMin && rate < yMax)) continue;
            svg.append(svgElement('line', { x1: x(Math.max(xMin, rate / r.device.bandwidth)), x2: x(xMax), y1: y(rate), y2: y(rate), stroke: 'currentColor', 'stroke-dasharray': '4 3', 'stroke-opacity': 0.5 }));
            const label = svgElement('text', { x: W - right - 4, y: y(rate) - 3, 'text-anchor': 'end', 'font-size': 10, fill: 'currentColor' });
            label.textContent = `${kind} ceiling`;
            svg.append(label);
        }
        const colours = { compute: '#d9534f', memory: '#2f7ed8', overhead: '#999999' };
        for (const l of points) {
            const dot = svgElement('circle', { class: `layer ${l.bound}`, cx: x(l.intensity), cy: y(l.flops / l.seconds), r: 3.5, fill: colours[l.bound], 'fill-opacity': 0.8 });
            const title = svgElement('title', {});
            title.textContent = `${l.name} (${l.op}): ${l.intensity.toFixed(2)} FLOP/B, ${(l.flops / l.seconds / 1e9).toFixed(2)} GFLOP/s, ${(l.seconds * 1e3).toFixed(3)} ms, ${l.bound}-bound`;
            dot.append(title);
            dot.onclick = () => vscode.postMessage({ type: 'reveal', line: l.line - 1 });
            svg.append(dot);
        }
        const axis = (text, attrs) => { const t = svgElement('text', { 'font-size': 11, fill: 'currentColor', ...attrs }); t.textContent = text; svg.append(t); };
        axis('arithmetic intensity (FLOP/B, log)', { x: left + (W - left - right) / 2, y: H - 6, 'text-anchor': 'middle' });
        axis('FLOP/s (log)', { x: 12, y: top + (H - top - bottom) / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${top + (H - top - bottom) / 2})` });
        axis(`peak ${(r.device.peakFlops / 1e9).toFixed(1)} GFLOP/s`, { x: left + 4, y: y(r.device.peakFlops) - 4 });
        axis(`${(r.device.bandwidth / 1e9).toFixed(1)} GB/s`, { x: x(roofStart) + 4, y: y(roofStart * r.device.bandwidth) - 6 });
        const box = document.createElement('div');
        box.className = 'table-wrap';
        box.append(svg);
        const note = document.createElement('p');
        note.className = 'muted';
        note.textContent = `${state.deviceNote ? `${state.deviceNote} ` : ''}Each point a layer (red compute-bound, blue memory-bound, grey overhead-bound; layers fused into a conv are not drawn). ${r.convention} Device: the setting convnet.device.`;
        const list = document.createElement('ul');
        list.id = 'insights';
        for (const i of insights) {
            const item = document.createElement('li');
            item.textContent = i.message;
            item.onclick = () => vscode.postMessage({ type: 'reveal', line: i.line - 1 });
            list.append(item);
        }
        const insightsHeading = document.createElement('h3');
        insightsHeading.textContent = insights.length ? 'Insights (ShuffleNet V2\'s guidelines, arXiv 1807.11164)' : 'Insights: none of ShuffleNet V2\'s guidelines costs this network anything worth naming';
        return [heading, box, note, insightsHeading, list];
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
            state = { ...state, summary: message.summary, training: message.training, roofline: message.roofline, insights: message.insights, figures: message.figures, sizes: message.sizes, deviceNote: message.deviceNote, errors: message.errors };
            render();
        }
    });
    vscode.postMessage({ type: 'ready' });
}());

// The run view: progress, then outputs with statistics and top-5 classes, per-layer time as bars, and the
// feature maps of a layer picked from the list.
(function () {
    const vscode = acquireVsCodeApi();
    const root = document.getElementById('root');
    const fmt = v => (Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : Number(v.toPrecision(5)).toString());
    const el = (tag, props = {}, ...children) => {
        const e = Object.assign(document.createElement(tag), props);
        e.append(...children);
        return e;
    };

    /** A table in a box that scrolls sideways when the panel is narrower than it (views.css). */
    const wrapped = table => el('div', { className: 'table-wrap' }, table);

    function showResult(r) {
        root.replaceChildren();
        const pin = el('button', { id: 'pin', textContent: 'Pin this result', title: 'Keep this view as it is: the next run of the network opens a new one' });
        pin.onclick = () => vscode.postMessage({ type: 'pin' });
        root.append(el('h2', { id: 'run-title', textContent: `Done in ${r.totalMs.toFixed(1)} ms` }),
            el('p', { className: 'muted', textContent: `Input: ${r.input}. Weights: ${r.weights}. Planned memory: ${(r.memoryBytes / 2 ** 20).toFixed(1)} MiB.` }),
            pin);
        const outputs = el('table', { id: 'outputs' });
        outputs.createTHead().insertRow().append(...['Output', 'Shape', 'min', 'max', 'mean', 'std'].map((t, i) => el('th', { textContent: t, className: i > 1 ? 'num' : '' })));
        const body = outputs.createTBody();
        for (const o of r.outputs) {
            const row = body.insertRow();
            [o.name, o.shape.join('×'), fmt(o.min), fmt(o.max), fmt(o.mean), fmt(o.std)].forEach((t, i) => row.append(el('td', { textContent: t, className: i > 1 ? 'num' : '' })));
            row.dataset.shape = o.shape.join('×');
        }
        root.append(wrapped(outputs));
        for (const o of r.outputs.filter(o => o.top5)) {
            const labels = r.top5Labels ? r.top5Labels[o.name] : undefined;
            root.append(el('h2', { textContent: `Top 5 of ${o.name}` }));
            const top = el('table', { className: 'top5' });
            const numeric = [true, true, false, true];
            top.createTHead().insertRow().append(...['#', 'index', labels ? 'ImageNet class' : '', 'value'].map((t, i) => el('th', { textContent: t, className: numeric[i] ? 'num' : '' })));
            const tb = top.createTBody();
            o.top5.forEach((t, i) => {
                const row = tb.insertRow();
                [String(i + 1), String(t.index), labels ? labels[i] : '', fmt(t.value)].forEach((v, j) => row.append(el('td', { textContent: v, className: numeric[j] ? 'num' : '' })));
            });
            root.append(wrapped(top));
        }
        root.append(el('h2', { textContent: 'Time per layer' }),
            el('p', { className: 'muted', id: 'time-note', textContent: `Warm times: the median of ${r.warmRuns} run${r.warmRuns === 1 ? '' : 's'} after the first (${r.warmMs.toFixed(1)} ms each); the first run, ${r.totalMs.toFixed(1)} ms, also wakes caches and threads.` }));
        const slowest = Math.max(...r.timings.map(t => t.ms), 1e-6);
        const bars = el('table', { className: 'bars' });
        const bb = bars.createTBody();
        for (const t of r.timings) {
            const row = bb.insertRow();
            row.insertCell().textContent = t.name;
            row.insertCell().append(el('span', { className: 'bar', style: `width: ${Math.max(1, (300 * t.ms) / slowest)}px` }));
            const ms = row.insertCell();
            ms.textContent = `${t.ms.toFixed(2)} ms`;
            ms.className = 'num';
        }
        root.append(wrapped(bars));
        root.append(el('h2', { textContent: 'Feature maps' }));
        const select = el('select', { id: 'layer-select' });
        select.append(el('option', { value: '', textContent: 'Pick a layer…' }));
        for (const l of r.layers) select.append(el('option', { value: String(l.index), textContent: `${l.name} (${l.op}) ${l.shape.join('×')}` }));
        select.onchange = () => { if (select.value !== '') vscode.postMessage({ type: 'layer', node: Number(select.value) }); };
        root.append(select, el('div', { id: 'maps', className: 'maps' }));
    }

    function showMaps(m) {
        const host = document.getElementById('maps');
        if (!host) return;
        host.replaceChildren();
        const bytes = Uint8Array.from(atob(m.pixels), c => c.charCodeAt(0));
        const scale = Math.max(1, Math.floor(64 / Math.max(m.height, m.width)));
        for (let c = 0; c < m.channels; c++) {
            const canvas = el('canvas', { width: m.width, height: m.height, title: `channel ${c}` });
            canvas.style.width = `${m.width * scale}px`;
            canvas.style.height = `${m.height * scale}px`;
            const ctx = canvas.getContext('2d');
            const image = ctx.createImageData(m.width, m.height);
            for (let i = 0; i < m.width * m.height; i++) {
                const v = bytes[c * m.width * m.height + i];
                image.data.set([v, v, v, 255], i * 4);
            }
            ctx.putImageData(image, 0, 0);
            host.append(canvas);
        }
        host.dataset.channels = String(m.channels);
    }

    window.addEventListener('message', event => {
        const m = event.data;
        if (m.type === 'progress') root.replaceChildren(el('p', { className: 'muted', textContent: `Layer ${m.done + 1} of ${m.total}: ${m.layer}` }));
        else if (m.type === 'result') showResult(m);
        else if (m.type === 'featureMaps') showMaps(m);
        else if (m.type === 'error') root.replaceChildren(el('p', { className: 'error', id: 'run-error', textContent: m.message }));
        else if (m.type === 'pinned') document.getElementById('pin')?.replaceWith(el('p', { className: 'muted', id: 'pinned', textContent: 'Pinned: the next run of this network opens a new view.' }));
        else if (m.type === 'cancelled') root.replaceChildren(el('p', { className: 'notice', id: 'run-cancelled', textContent: m.message }));
    });
    vscode.postMessage({ type: 'ready' });
}());

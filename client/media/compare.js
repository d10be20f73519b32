// The comparison view: two designs side by side — each layer's output shape, params and MACs before and after, the
// deltas highlighted (added, removed, changed), and the totals' deltas and ratios. Fed by client/compare/compare-view.ts.
(function () {
    const vscode = acquireVsCodeApi();
    const root = document.getElementById('root');
    let state = { diff: undefined, showSame: false };
    const fmt = n => Math.round(n).toLocaleString('en-US');
    const signed = n => (n > 0 ? '+' : n < 0 ? '−' : '') + fmt(Math.abs(n));
    const shape = s => (s ? s.join('×') : '');
    const TOTALS = [['params', 'Params'], ['macs', 'MACs'], ['flops', 'FLOPs'], ['buffers', 'Buffers (BN statistics)'],
        ['memory', 'Activations (bytes)'], ['peakMemory', 'Peak activations (bytes)'], ['layers', 'Layers']];
    const attr = v => (v === undefined ? '(none)' : Array.isArray(v) ? `(${v.map(attr).join(', ')})` : typeof v === 'string' ? JSON.stringify(v) : String(v));

    function el(tag, className, text) {
        const e = document.createElement(tag);
        if (className) e.className = className;
        if (text !== undefined) e.textContent = text;
        return e;
    }

    function wrapped(table) {
        const box = el('div', 'table-wrap');
        box.append(table);
        return box;
    }

    /** What changed, in words (the same as the terminal's last column). */
    function changes(row) {
        if (row.status === 'added' || row.status === 'removed') return row.status;
        const parts = [];
        if (row.changes.includes('name')) parts.push(`renamed from ${row.before.name}`);
        if (row.changes.includes('op')) parts.push(`op ${row.before.op} → ${row.after.op}`);
        for (const a of row.attributes) parts.push(`${a.name} ${attr(a.before)} → ${attr(a.after)}`);
        if (row.changes.includes('receptiveField')) parts.push(`receptive field ${(row.before.receptiveField || []).join('×') || '—'} → ${(row.after.receptiveField || []).join('×') || '—'}`);
        return parts.join('; ');
    }

    function numberCell(row, value, changed) {
        const td = row.insertCell();
        td.className = `num${changed ? ' differs' : ''}`;
        td.textContent = value;
        return td;
    }

    function layersTable(diff) {
        const table = el('table', 'compare');
        const groups = table.createTHead().insertRow();
        for (const [text, span] of [['', 2], [`Before: ${diff.before.name}`, 3], [`After: ${diff.after.name}`, 3], ['Δ', 2], ['', 1]]) {
            const th = el('th', span > 1 ? 'group' : '', text);
            th.colSpan = span;
            groups.append(th);
        }
        const head = table.tHead.insertRow();
        for (const [text, num] of [['Layer', false], ['Op', false], ['Output', false], ['Params', true], ['MACs', true], ['Output', false], ['Params', true], ['MACs', true], ['Params', true], ['MACs', true], ['What changed', false]]) {
            head.append(el('th', num ? 'num' : '', text));
        }
        const body = table.createTBody();
        for (const row of diff.layers) {
            if (row.status === 'same' && !state.showSame) continue;
            const tr = body.insertRow();
            tr.className = `layer ${row.status}`;
            tr.dataset.status = row.status;
            tr.dataset.name = (row.after || row.before).name;
            if (row.after) tr.onclick = () => vscode.postMessage({ type: 'reveal', line: row.after.line - 1 });
            const name = tr.insertCell();
            name.textContent = row.after && row.before && row.after.name !== row.before.name ? `${row.before.name} → ${row.after.name}` : (row.after || row.before).name;
            const op = tr.insertCell();
            op.textContent = row.before && row.after && row.before.op !== row.after.op ? `${row.before.op} → ${row.after.op}` : (row.after || row.before).op;
            const outputDiffers = row.changes.includes('output');
            for (const side of [row.before, row.after]) {
                const out = tr.insertCell();
                out.textContent = side ? shape(side.output) : '';
                if (side && outputDiffers) out.className = 'differs';
                numberCell(tr, side ? fmt(side.params) : '', side && row.changes.includes('params'));
                numberCell(tr, side ? fmt(side.macs) : '', side && row.changes.includes('macs'));
            }
            numberCell(tr, row.delta.params ? signed(row.delta.params) : '', false).classList.add(row.delta.params > 0 ? 'up' : row.delta.params < 0 ? 'down' : 'zero');
            numberCell(tr, row.delta.macs ? signed(row.delta.macs) : '', false).classList.add(row.delta.macs > 0 ? 'up' : row.delta.macs < 0 ? 'down' : 'zero');
            tr.insertCell().textContent = changes(row);
        }
        return table;
    }

    function totalsTable(diff) {
        const table = el('table', 'totals');
        const head = table.createTHead().insertRow();
        for (const [text, num] of [['Total', false], [diff.before.name, true], [diff.after.name, true], ['Delta', true], ['Ratio', true]]) head.append(el('th', num ? 'num' : '', text));
        const body = table.createTBody();
        for (const [key, label] of TOTALS) {
            const t = diff.totals[key];
            const tr = body.insertRow();
            tr.dataset.total = key;
            tr.insertCell().textContent = label;
            numberCell(tr, fmt(t.before), false);
            numberCell(tr, fmt(t.after), false);
            numberCell(tr, signed(t.delta), false).classList.add(t.delta > 0 ? 'up' : t.delta < 0 ? 'down' : 'zero');
            numberCell(tr, t.ratio === null ? '—' : `${t.ratio.toFixed(3)}×`, false);
        }
        return table;
    }

    function render() {
        root.replaceChildren();
        const diff = state.diff;
        if (!diff) {
            root.append(el('p', 'muted', 'Comparing…'));
            return;
        }
        const c = diff.counts;
        root.append(el('h2', '', `${diff.before.name} (${diff.before.label}) → ${diff.after.name} (${diff.after.label})`));
        const summary = diff.identical ? 'No differences.'
            : `${c.added} layer${c.added === 1 ? '' : 's'} added, ${c.removed} removed, ${c.changed} changed${c.renamed ? ` (${c.renamed} renamed)` : ''}, ${c.same} the same.`;
        const headline = el('p', 'headline', summary);
        headline.id = 'headline';
        root.append(headline);
        const refresh = Object.assign(el('button', '', 'Refresh'), { id: 'refresh' });
        refresh.onclick = () => vscode.postMessage({ type: 'refresh' });
        const toggle = Object.assign(el('button', '', state.showSame ? 'Hide unchanged layers' : 'Show unchanged layers'), { id: 'toggle-same' });
        toggle.onclick = () => { state.showSame = !state.showSame; render(); };
        root.append(refresh, toggle, wrapped(totalsTable(diff)));
        root.append(el('p', 'legend'), wrapped(layersTable(diff)));
        root.querySelector('.legend').append(
            el('span', 'swatch added', 'added'), ' ', el('span', 'swatch removed', 'removed'), ' ', el('span', 'swatch changed', 'changed'),
            ` — ${diff.conventions.macs} Params exclude buffers.`);
    }

    window.addEventListener('message', event => {
        if (event.data.type === 'diff') {
            state = { ...state, diff: event.data.diff };
            render();
        }
    });
    render();
    vscode.postMessage({ type: 'ready' });
}());

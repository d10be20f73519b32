// The comparison view: two designs side by side — each layer's output shape, params and MACs before and after, the
// deltas highlighted (added, removed, changed), the totals' deltas and ratios, and the newer design's graph (drawn by
// the Graph view's renderer) with the layers added or changed marked. Fed by client/compare/compare-view.ts.
(function () {
    const vscode = acquireVsCodeApi();
    const root = document.getElementById('root');
    let state = { diff: undefined, graph: undefined, showSame: false };
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

    /**
     * The newer design's graph (client/compare/graph-marks.ts): each layer added or changed, and each block holding
     * one, gets the class mark-added or mark-changed (compare.css colours them); a click on a layer reveals its line.
     */
    function graphSection(g) {
        const added = Object.values(g.nodes).filter(m => m === 'added').length;
        const changed = Object.values(g.nodes).filter(m => m === 'changed').length;
        const heading = el('h3', '', `Graph of ${g.network}, changes marked`);
        const legend = el('p', 'legend');
        legend.id = 'graph-legend';
        const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
        legend.append(el('span', 'swatch mark-added', 'added'), ' ', el('span', 'swatch mark-changed', 'changed'),
            ` — ${plural(added, 'layer')} added, ${changed} changed${g.removed ? `; ${g.removed} removed (listed above: the graph is the newer design)` : ''}. `
            + (g.receptiveFieldOnly ? `${plural(g.receptiveFieldOnly, 'layer')} whose receptive field alone changed (a change before ${g.receptiveFieldOnly === 1 ? 'it' : 'them'}) ${g.receptiveFieldOnly === 1 ? 'is' : 'are'} not marked. ` : '')
            + 'Blocks holding a change are unfolded; the others stay folded. Fill elsewhere = share of MACs.');
        const host = el('div', 'graph-wrap');
        host.id = 'compare-graph';
        host.innerHTML = g.svg;
        for (const [node, mark] of Object.entries(g.nodes)) host.querySelector(`g.box[data-node="${node}"]`)?.classList.add(`mark-${mark}`);
        for (const [module, mark] of Object.entries(g.modules)) {
            for (const e of host.querySelectorAll(`g.frame[data-module="${module}"], g.box.collapsed[data-module="${module}"]`)) e.classList.add(`mark-${mark}`);
        }
        host.addEventListener('click', event => {
            const box = event.target.closest('g.box[data-line]');
            if (box) vscode.postMessage({ type: 'reveal', line: Number(box.dataset.line) });
        });
        return [heading, legend, host];
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
        if (state.graph) root.append(...graphSection(state.graph));
    }

    window.addEventListener('message', event => {
        if (event.data.type === 'diff') {
            state = { ...state, diff: event.data.diff, graph: event.data.graph };
            render();
        }
    });
    render();
    vscode.postMessage({ type: 'ready' });
}());

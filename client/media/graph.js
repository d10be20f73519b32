// The graph view: shows the SVG the extension lays out; clicking a layer reveals its source, clicking a
// frame's title or a folded box folds or unfolds that block.
(function () {
    const vscode = acquireVsCodeApi();
    const root = document.getElementById('root');

    function show(svg, network, layers, folded) {
        root.replaceChildren();
        const help = document.createElement('p');
        help.className = 'muted';
        help.id = 'graph-help';
        const counts = layers === undefined ? '' : ` ${layers} layer${layers === 1 ? '' : 's'}${folded ? `, ${folded} block${folded === 1 ? '' : 's'} folded` : ''}.`;
        help.textContent = `${network}:${counts} Click a layer to see its source; click ▾/▸ to fold or unfold a block. Colour = share of MACs.`;
        const host = document.createElement('div');
        host.id = 'svg-host';
        host.innerHTML = svg;
        host.addEventListener('click', event => {
            const toggle = event.target.closest('.toggle, .box.collapsed');
            if (toggle && toggle.dataset.module !== undefined) {
                vscode.postMessage({ type: 'toggle', module: Number(toggle.dataset.module) });
                return;
            }
            const box = event.target.closest('.box');
            if (box && box.dataset.uri) vscode.postMessage({ type: 'reveal', uri: box.dataset.uri, line: Number(box.dataset.line), character: Number(box.dataset.character) });
        });
        root.append(help, host);
    }

    window.addEventListener('message', event => {
        const message = event.data;
        if (message.type === 'graph') show(message.svg, message.network, message.layers, message.folded);
        else if (message.type === 'errors') {
            const p = document.createElement('p');
            p.className = 'error';
            p.textContent = `Fix the errors to see the graph:\n${message.errors.join('\n')}`;
            root.replaceChildren(p);
        }
    });
    vscode.postMessage({ type: 'ready' });
}());

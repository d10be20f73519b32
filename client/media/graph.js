// The graph view: shows the SVG the extension lays out; clicking a layer reveals its source, clicking a
// frame's title or a folded box folds or unfolds that block; the graph can be saved as SVG or PNG.
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
        const saveSvg = Object.assign(document.createElement('button'), { id: 'save-svg', textContent: 'Save as SVG' });
        saveSvg.onclick = () => vscode.postMessage({ type: 'save', format: 'svg' });
        const savePng = Object.assign(document.createElement('button'), { id: 'save-png', textContent: 'Save as PNG' });
        savePng.onclick = () => rasterise(host.querySelector('svg'));
        root.append(help, saveSvg, savePng, host);
    }

    /**
     * Draws the SVG on a canvas (twice its size where the canvas allows, on white) and sends the PNG to the
     * extension, which asks where to save it.
     */
    function rasterise(svg) {
        if (!svg) return;
        const image = new Image();
        image.onload = () => {
            const scale = Math.min(2, 16000 / Math.max(image.width, image.height, 1));
            const canvas = Object.assign(document.createElement('canvas'), { width: Math.ceil(image.width * scale), height: Math.ceil(image.height * scale) });
            const context = canvas.getContext('2d');
            context.fillStyle = '#ffffff';
            context.fillRect(0, 0, canvas.width, canvas.height);
            context.drawImage(image, 0, 0, canvas.width, canvas.height);
            vscode.postMessage({ type: 'save', format: 'png', data: canvas.toDataURL('image/png').split(',')[1], width: canvas.width, height: canvas.height });
        };
        const text = new XMLSerializer().serializeToString(svg);
        image.src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(text)))}`;
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

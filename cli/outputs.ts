/** What the CLI's writers share: the hint for replacing a file, and the files a command reads (never written over). */
import { URI } from 'langium';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import type { CommandInput } from '../io/safe-write.js';

export const FORCE_HINT = 'give --force to replace it';

function fileOf(uri: string): string | undefined {
    return uri.startsWith('file:') ? URI.parse(uri).fsPath : undefined;
}

/** The `.convnet` files a network was elaborated from: its own and every file its blocks came from. */
export function sourceInputs(graph: NetworkGraph): CommandInput[] {
    const uris = new Set<string>([graph.uri, ...graph.nodes.map(n => n.source.uri)]);
    return [...uris].flatMap(uri => {
        const file = fileOf(uri);
        return file ? [{ file, label: 'a .convnet source' }] : [];
    });
}

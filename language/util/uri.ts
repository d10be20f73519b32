/** The file name at the end of a URI (`resnet18.convnet` of `file:///home/someone/resnet18.convnet`), decoded; a malformed escape is kept as written. */
export function baseNameOfUri(uri: string): string {
    const last = uri.slice(uri.lastIndexOf('/') + 1);
    try {
        return decodeURIComponent(last);
    } catch {
        return last;
    }
}

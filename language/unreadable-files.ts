/**
 * Imported files that exist but cannot be read as sources (a FIFO, a device, a directory, a file over the size
 * limit), by URI, with the reason: the loader that looks at the disk records them, and the import check says why
 * instead of calling them missing. The language itself never touches the disk.
 */
export class UnreadableFiles {
    private readonly reasons = new Map<string, string>();

    record(uri: string, reason: string): void {
        this.reasons.set(uri, reason);
    }

    /** The file at `uri` was read after all. */
    forget(uri: string): void {
        this.reasons.delete(uri);
    }

    /** Why the file at `uri` could not be read, when it exists but could not. */
    reason(uri: string): string | undefined {
        return this.reasons.get(uri);
    }
}

// The part of the WebAssembly JavaScript API the runtime uses. TypeScript declares it only in its DOM and
// web-worker libraries, which do not belong in a Node project; Node 20+ has all of it.
declare global {
    namespace WebAssembly {
        interface MemoryDescriptor {
            initial: number;
            maximum?: number;
            shared?: boolean;
        }
        interface Memory {
            readonly buffer: ArrayBuffer;
            grow(deltaPages: number): number;
        }
        // eslint-disable-next-line no-var
        var Memory: { new (descriptor: MemoryDescriptor): Memory };
        interface Module {}
        // eslint-disable-next-line no-var
        var Module: { new (bytes: ArrayBufferView | ArrayBuffer): Module };
        interface Instance {
            readonly exports: Record<string, unknown>;
        }
        // eslint-disable-next-line no-var
        var Instance: { new (module: Module, imports?: Record<string, Record<string, unknown>>): Instance };
        function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
    }
}

export {};

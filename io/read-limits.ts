/**
 * The largest file of each kind ConvNet reads, in one place for every reader: io/bounded-read.ts on the disk and
 * the web extension's reader of the workspace file system (client/web/workspace-files.ts). No Node here.
 */
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** The largest file of each kind that is read: beyond any real one, below what would exhaust memory. */
export const READ_LIMITS = {
    /** A safetensors state_dict (ViT-H is 2.5 GB in float32). */
    weights: 4 * GiB,
    /** An input tensor (.safetensors or .npy). */
    input: 1 * GiB,
    /** A PNG or JPEG (the decoded pixels are limited separately). */
    image: 256 * MiB,
    /** An ONNX model (protobuf cannot encode more than 2 GiB). */
    model: 2 * GiB,
    /** A `.convnet` source file. */
    source: 16 * MiB,
} as const;

export type ReadKind = keyof typeof READ_LIMITS;

/**
 * Images as network inputs: PNG (pngjs) and JPEG (jpeg-js) decoded in pure JavaScript to RGB in [0, 1], resized
 * with PIL's bilinear filter (the one torchvision's `Resize` applies to PIL images: a triangle filter whose
 * support widens when shrinking, so a downscale averages instead of aliasing; for an upscale it is plain
 * bilinear interpolation with half-pixel centres, as `F.interpolate(..., align_corners=False)`), then optionally
 * normalised per channel with a mean and a standard deviation.
 */
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { displayText } from '../language/util/quote.js';

export class ImageError extends Error {}

/** An image as float planes: `data[c·height·width + y·width + x]`, values in [0, 1]. */
export interface PlanarImage {
    readonly width: number;
    readonly height: number;
    readonly channels: number;
    readonly data: Float32Array;
}

export type ImageFormat = 'png' | 'jpeg';

/** Recognises PNG and JPEG by their first bytes. */
export function sniffImage(bytes: Uint8Array): ImageFormat | undefined {
    if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
    if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
    return undefined;
}

/**
 * The most pixels an image may have: 64 megapixels (8000 × 8000), far beyond any network input, and 1 GiB of
 * decoded RGBA. Checked from the header before decoding, so a 20-byte header claiming 100,000 × 100,000 pixels
 * costs nothing.
 */
export const MAX_IMAGE_PIXELS = 64_000_000;

/** Width and height from a PNG's IHDR chunk or a JPEG's start-of-frame marker; undefined when not found. */
export function imageHeaderSize(bytes: Uint8Array, format: ImageFormat): { width: number; height: number } | undefined {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (format === 'png') {
        // Signature (8), chunk length (4), "IHDR" (4), width (4), height (4).
        if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return undefined;
        return { width: view.getUint32(16), height: view.getUint32(20) };
    }
    // JPEG: walk the marker segments to the first SOFn (C0–CF except C4 DHT, C8 JPG, CC DAC).
    let at = 2;
    while (at + 9 < bytes.length) {
        if (bytes[at] !== 0xff) return undefined;
        const marker = bytes[at + 1];
        if (marker === 0xff) { at++; continue; }
        const length = view.getUint16(at + 2);
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
            return { height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
        }
        at += 2 + length;
    }
    return undefined;
}

/**
 * Decodes a PNG or JPEG to three RGB planes in [0, 1]. Alpha is dropped (as PIL's `convert('RGB')`); grey and
 * palette images become RGB; 16-bit PNG samples are rounded to 8 bits.
 */
export function decodeImage(bytes: Uint8Array, source?: string): PlanarImage {
    const where = source ? `${displayText(source, 120)}: ` : '';
    const format = sniffImage(bytes);
    let width: number;
    let height: number;
    let rgba: ArrayLike<number>;
    if (format) {
        const size = imageHeaderSize(bytes, format);
        if (!size) throw new ImageError(`${where}the ${format === 'png' ? 'PNG' : 'JPEG'} image has no readable size in its header (truncated or corrupt)`);
        if (size.width === 0 || size.height === 0) throw new ImageError(`${where}the image is ${size.width}×${size.height} pixels: it has none`);
        if (size.width * size.height > MAX_IMAGE_PIXELS) {
            throw new ImageError(`${where}the image claims ${size.width}×${size.height} pixels; ConvNet reads images of at most ${MAX_IMAGE_PIXELS / 1e6} megapixels (resize it first)`);
        }
    }
    try {
        if (format === 'png') {
            // pngjs expands palette, grey and 1–16-bit images to 8-bit RGBA (16-bit samples rounded, as PIL does).
            const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
            width = png.width;
            height = png.height;
            rgba = png.data;
        } else if (format === 'jpeg') {
            const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
            width = decoded.width;
            height = decoded.height;
            rgba = decoded.data;
        } else {
            throw new ImageError(`${where}not a PNG or JPEG image`);
        }
    } catch (e) {
        if (e instanceof ImageError) throw e;
        // The decoders' own words ("There are some read requests waitng on finished stream", or a TypeError from
        // inside jpeg-js) say nothing to the user: the file is cut short or damaged.
        throw new ImageError(`${where}cannot decode the ${format === 'png' ? 'PNG' : 'JPEG'} image: it is truncated or corrupt`);
    }
    const plane = width * height;
    if (rgba.length < plane * 4) throw new ImageError(`${where}the decoder returned ${rgba.length} samples for a ${width}×${height} image`);
    const data = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
        data[i] = rgba[4 * i] / 255;
        data[plane + i] = rgba[4 * i + 1] / 255;
        data[2 * plane + i] = rgba[4 * i + 2] / 255;
    }
    return { width, height, channels: 3, data };
}

/** One output position's taps along one axis: first input index and normalised weights. */
interface Taps {
    readonly start: Int32Array;
    readonly count: Int32Array;
    readonly weights: Float64Array;
    readonly span: number;
}

/** PIL's `precompute_coeffs` for the bilinear (triangle) filter, support 1. */
function taps(inSize: number, outSize: number): Taps {
    const scale = inSize / outSize;
    const filterScale = Math.max(scale, 1);
    const support = 1 * filterScale;
    const span = Math.ceil(support) * 2 + 1;
    const start = new Int32Array(outSize);
    const count = new Int32Array(outSize);
    const weights = new Float64Array(outSize * span);
    for (let o = 0; o < outSize; o++) {
        const center = (o + 0.5) * scale;
        const lo = Math.max(Math.trunc(center - support + 0.5), 0);
        const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
        let total = 0;
        for (let x = lo; x < hi; x++) {
            const w = Math.max(0, 1 - Math.abs((x - center + 0.5) / filterScale));
            weights[o * span + (x - lo)] = w;
            total += w;
        }
        if (total > 0) for (let x = lo; x < hi; x++) weights[o * span + (x - lo)] /= total;
        start[o] = lo;
        count[o] = hi - lo;
    }
    return { start, count, weights, span };
}

/** Resizes every plane to `height`×`width` (separably: rows, then columns). */
export function resizeBilinear(image: PlanarImage, height: number, width: number): PlanarImage {
    if (image.height === height && image.width === width) return image;
    const h = taps(image.width, width);
    const v = taps(image.height, height);
    const out = new Float32Array(image.channels * height * width);
    const row = new Float64Array(image.height * width);
    for (let c = 0; c < image.channels; c++) {
        const plane = image.data.subarray(c * image.width * image.height, (c + 1) * image.width * image.height);
        for (let y = 0; y < image.height; y++) {
            for (let x = 0; x < width; x++) {
                let sum = 0;
                const base = y * image.width + h.start[x];
                for (let k = 0; k < h.count[x]; k++) sum += plane[base + k] * h.weights[x * h.span + k];
                row[y * width + x] = sum;
            }
        }
        const target = out.subarray(c * height * width, (c + 1) * height * width);
        for (let y = 0; y < height; y++) {
            for (let x = 0; x < width; x++) {
                let sum = 0;
                for (let k = 0; k < v.count[y]; k++) sum += row[(v.start[y] + k) * width + x] * v.weights[y * v.span + k];
                target[y * width + x] = sum;
            }
        }
    }
    return { width, height, channels: image.channels, data: out };
}

export interface Normalization {
    readonly mean: readonly number[];
    readonly std: readonly number[];
}

/** torchvision's ImageNet statistics (`transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])`). */
export const IMAGENET_NORMALIZATION: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/**
 * An image as the input of a network: NCHW with N = 1 and C = 3 (RGB) or 1 (grey, ITU-R 601-2 luma as PIL's
 * `convert('L')`), resized to the input's H×W, then `(x − mean) / std` per channel when `normalization` is given.
 */
export function imageToInput(image: PlanarImage, shape: readonly number[], normalization?: Normalization, source?: string): Float32Array {
    const where = source ? `${displayText(source, 120)}: ` : '';
    if (shape.length !== 4 || shape[0] !== 1 || (shape[1] !== 3 && shape[1] !== 1)) {
        throw new ImageError(`${where}an image can only feed an input of shape 1×3×H×W (RGB) or 1×1×H×W (grey); this input is ${shape.join('×')}`);
    }
    const [, channels, height, width] = shape;
    const resized = resizeBilinear(image, height, width);
    const plane = height * width;
    let data: Float32Array;
    if (channels === 3) {
        data = resized.data.slice();
    } else {
        data = new Float32Array(plane);
        for (let i = 0; i < plane; i++) data[i] = 0.299 * resized.data[i] + 0.587 * resized.data[plane + i] + 0.114 * resized.data[2 * plane + i];
    }
    if (normalization) {
        if (normalization.mean.length !== channels || normalization.std.length !== channels) {
            throw new ImageError(`${where}the normalisation has ${normalization.mean.length} means and ${normalization.std.length} standard deviations for ${channels} channel${channels === 1 ? '' : 's'}`);
        }
        for (let c = 0; c < channels; c++) {
            const mean = normalization.mean[c];
            const std = normalization.std[c];
            for (let i = c * plane; i < (c + 1) * plane; i++) data[i] = (data[i] - mean) / std;
        }
    }
    return data;
}

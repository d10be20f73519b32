/**
 * The zoo's networks for dense prediction, video and variable input sizes that torchvision does not have as models:
 * the DeepLabv3 head (ASPP), U-Net, a ResNet-18 with deformable convs, C3D and SPP-net, against what their papers
 * state and PyTorch modules built independently of the examples (test/fixtures/papers/make_dense_fixtures.py:
 * torchvision's own DeepLabHead; the others written by hand after the papers). None of these papers prints a
 * parameter or multiply-add count for the network, so the fixtures carry the figures.
 */
import type { PaperExample } from './types.js';

export const DENSE: PaperExample[] = [
    {
        file: 'deeplabv3_aspp.convnet', network: 'DeepLabV3ASPP',
        source: 'Chen et al. 2017, Sec. 3.3: ASPP with rates (12, 24, 36) at output stride 8, as torchvision\'s DeepLabHead(2048, 21)',
        input: [1, 2048, 28, 28], outputs: [[1, 21, 28, 28]],
        pytorch: 'deeplabv3_aspp',
        // The paper's training crops, 513×513, give 65×65 maps at output stride 8: the head keeps any size.
        alsoAt: [{ input: [1, 2048, 65, 65], outputs: [[1, 21, 65, 65]] }],
    },
    {
        file: 'unet.convnet', network: 'UNet',
        source: 'Ronneberger et al. 2015, Fig. 1: a 572×572 tile in, a 388×388 map of 2 classes out',
        input: [1, 1, 572, 572], outputs: [[1, 2, 388, 388]],
        pytorch: 'unet',
        // Inputs of 16·k + 124 pixels give 16·k − 60 (the smallest, k = 4, keeps a 4×4 map at the bottom).
        alsoAt: [{ input: [1, 1, 188, 188], outputs: [[1, 2, 4, 4]] }, { input: [1, 1, 252, 252], outputs: [[1, 2, 68, 68]] }],
        // 150 G MACs at 572²: the seeded run uses the smallest tile.
        runInput: [1, 1, 188, 188],
    },
    {
        file: 'deformable.convnet', network: 'DeformableNet',
        source: 'Dai et al. 2017, Sec. 2.1 (offsets from a 3×3 conv of 2·3·3 channels) and Sec. 4 (deformable 3×3 convs in the last stage)',
        input: [1, 3, 224, 224], outputs: [[1, 1000]],
        pytorch: 'deformable',
    },
    {
        file: 'c3d.convnet', network: 'C3D',
        source: 'Tran et al. 2015, Sec. 3.3 and Fig. 3: a 3×16×112×112 clip, 8 3×3×3 convs, 5 pools, fc6 and fc7 of 4096, 487 Sports-1M classes',
        input: [1, 3, 16, 112, 112], outputs: [[1, 487]],
        pytorch: 'c3d',
        // 38.5 G MACs at 112²: the seeded run keeps the 16 frames (the temporal pools need them all) on 32×32.
        runInput: [1, 3, 16, 32, 32],
    },
    {
        file: 'spp_net.convnet', network: 'SPPNet',
        source: 'He et al. 2014, Table 1 (ZF-5) and Sec. 3.1.2: a {6×6, 3×3, 2×2, 1×1} pyramid, 50 bins × 256 = 12,800 features into fc6',
        input: [1, 3, 224, 224], outputs: [[1, 1000]],
        pytorch: 'spp_net',
        // Multi-size training (Sec. 2.3): 180×180 images, 10×10 conv5 maps, the same fixed-length pyramid.
        alsoAt: [{ input: [1, 3, 180, 180], outputs: [[1, 1000]] }],
    },
];

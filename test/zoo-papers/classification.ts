/**
 * The classification networks of the zoo that torchvision does not have: the original two-group AlexNet, Xception,
 * MobileNet (v1), ShuffleNet (v1, g = 3) and SE-ResNet-50, against the figures their papers print and PyTorch
 * modules written after the papers (test/fixtures/papers/make_classification_fixtures.py and
 * make_alexnet_original_fixture.py).
 */
import type { PaperExample } from './types.js';

export const CLASSIFICATION: PaperExample[] = [
    {
        file: 'alexnet_2group.convnet', network: 'AlexNetOriginal',
        // The paper truncates its figures: the network it describes has 60,965,224 parameters (as Caffe's
        // bvlc_alexnet, the same layers) and 659,272 neurons, printed as "60 million" and "650,000". So the check is
        // 60 M ≤ params < 61 M. It does not count multiply-adds; its input is 227² in fact (see the example).
        source: 'Krizhevsky et al. 2012, Sec. 1 and Fig. 2: "60 million parameters" (truncated to the million)',
        input: [1, 3, 227, 227], outputs: [[1, 1000]],
        params: { value: 60.5e6, within: 0.5e6 },
        pytorch: 'alexnet_original',
    },
    {
        file: 'xception.convnet', network: 'Xception',
        source: 'Chollet 2017, Table 3: 22,855,952 parameters (Keras\'s trainable count: batch-norm scale and shift, no running statistics)',
        input: [1, 3, 299, 299], outputs: [[1, 1000]],
        params: { value: 22_855_952, within: 0 },
        pytorch: 'xception',
        // The smallest input Keras's Xception accepts; 8.36 G MACs at 299² would make the seeded run slow.
        alsoAt: [{ input: [1, 3, 71, 71], outputs: [[1, 1000]] }],
        runInput: [1, 3, 71, 71],
    },
    {
        file: 'mobilenet_v1.convnet', network: 'MobileNetV1',
        source: 'Howard et al. 2017, Table 8 (1.0 MobileNet-224): 569 million mult-adds, 4.2 million parameters',
        input: [1, 3, 224, 224], outputs: [[1, 1000]],
        params: { value: 4.2e6, within: 0.05e6 },
        macs: { value: 569e6, within: 0.5e6 },
        pytorch: 'mobilenet_v1',
        // Table 7, the resolution multiplier: the same network on 192², 160² and 128² images.
        alsoAt: [192, 160, 128].map(size => ({ input: [1, 3, size, size], outputs: [[1, 1000]] })),
    },
    {
        file: 'shufflenet_v1.convnet', network: 'ShuffleNetV1',
        // Tables 2 and 5 round the whole 1× family to "140 MFLOPs"; Table 1 gives each g its own figure. The paper
        // counts one FLOP per multiply-add and leaves the classifier out: 137,460,672 − 960,000 = 136.5 M MACs,
        // so the check, with the classifier counted, holds either way.
        source: 'Zhang et al. 2017, Table 1 (ShuffleNet 1×, g = 3): complexity 137 MFLOPs',
        input: [1, 3, 224, 224], outputs: [[1, 1000]],
        macs: { value: 137e6, within: 0.5e6 },
        pytorch: 'shufflenet_v1_g3',
    },
    {
        file: 'se_resnet.convnet', network: 'SEResNet50',
        // The paper's ~3.87 GFLOPs (Sec. 4, Table 2) also counts the SE blocks' global pooling and scaling (5.5 M
        // operations each), which are not multiply-adds; counted as MACs, SE-ResNet-50 is ResNet-50's 3.86 G
        // (3,857,973,248 with the stride on the first 1×1 conv, as in the original ResNet) plus 2,514,944 for the
        // SE blocks' FC layers, 3,860,488,192. The parameters are ResNet-50's 25,557,032 plus the paper's Eq. 5,
        // (2/r)·Σ N_s·C_s² = 2,514,944 ("~2.5 million additional parameters"), plus the FCs' 16,048 biases.
        source: 'Hu et al., Sec. 4 and Table 2: ResNet-50 ~3.86 GFLOPs + the SE FCs; Eq. 5, (2/16)·Σ N_s·C_s² = 2,514,944 added weights',
        input: [1, 3, 224, 224], outputs: [[1, 1000]],
        params: { value: 25_557_032 + 2_514_944 + 16_048, within: 0 },
        macs: { value: 3.86e9, within: 0.005e9 },
        pytorch: 'se_resnet50',
        runInput: [1, 3, 112, 112],
    },
];

/** Generated `.convnet` texts the benchmarks measure. */

/** A plain chain of `layers` layers written out: conv → batchnorm → relu, one statement per triple. */
export function chainNetwork(layers: number): string {
    const lines = ['network Chain(input: [1, 64, 56, 56]) {', '  x = input'];
    for (let i = 0; i < layers / 3; i++) {
        lines.push(`  x = x -> conv${i}: conv(64, kernel: 3, padding: 1, bias: false) -> bn${i}: batchnorm -> relu`);
    }
    lines.push('  return x', '}');
    return lines.join('\n');
}

/** The same layers produced by a loop: the text stays small, so this isolates elaboration, shapes and costs. */
export function loopNetwork(layers: number): string {
    return `network Looped(input: [1, 64, 56, 56]) {
  return input -> body: [
    for i in range(${Math.round(layers / 3)}): { conv(64, kernel: 3, padding: 1, bias: false), batchnorm, relu }
  ]
}`;
}

/** ResNet-152 written out block by block (3, 8, 36, 3 bottlenecks): about 500 layers, as a person would write it. */
export function resnet152(): string {
    const stage = (name: string, planes: number, blocks: number, stride: number) =>
        `    -> ${name}: [\n${Array.from({ length: blocks }, (_, i) => `      Bottleneck(${planes}${i === 0 && stride !== 1 ? `, stride: ${stride}` : ''}),`).join('\n')}\n    ]`;
    return `block Bottleneck(planes: int, stride: int = 1)(x) {
  y = x -> conv1: conv(planes, kernel: 1, bias: false) -> bn1: batchnorm -> relu
        -> conv2: conv(planes, kernel: 3, stride: stride, padding: 1, bias: false) -> bn2: batchnorm -> relu
        -> conv3: conv(planes * 4, kernel: 1, bias: false) -> bn3: batchnorm
  shortcut = if stride != 1 or x.channels != planes * 4
    then x -> downsample: [conv(planes * 4, kernel: 1, stride: stride, bias: false), batchnorm]
    else x
  return relu(y + shortcut)
}

network ResNet152(input: [1, 3, 224, 224]) {
  return input
    -> conv1: conv(64, kernel: 7, stride: 2, padding: 3, bias: false) -> bn1: batchnorm -> relu
    -> maxpool: maxpool(3, stride: 2, padding: 1)
${stage('layer1', 64, 3, 1)}
${stage('layer2', 128, 8, 2)}
${stage('layer3', 256, 36, 2)}
${stage('layer4', 512, 3, 2)}
    -> avgpool: adaptiveavgpool(1) -> flatten -> fc: linear(1000)
}
`;
}

/**
 * Blocks nested `levels` deep, each repeating the one below `repeats` times; the innermost holds one relu. The
 * text stays five lines while the network has `repeats ** levels` layers and as many instances of the innermost block.
 */
export function nestedBlocksNetwork(levels: number, repeats: number): string {
    const lines = ['block Level0()(x) { return x -> relu }'];
    for (let level = 1; level < levels; level++) lines.push(`block Level${level}()(x) { return x -> [repeat ${repeats}: Level${level - 1}()] }`);
    lines.push(`network Nested(input: [1, 2, 4, 4]) {\n  return input -> [repeat ${repeats}: Level${levels - 1}()]\n}`);
    return lines.join('\n');
}

/** A chain of `layers` one-op layers written out (`x = x -> relu`), on a small tensor so that running it is cheap. */
export function reluChainNetwork(layers: number, shape = [1, 2, 4, 4]): string {
    const lines = [`network ReluChain(input: [${shape.join(', ')}]) {`, '  x = input'];
    for (let i = 0; i < layers; i++) lines.push('  x = x -> relu');
    lines.push('  return x', '}');
    return lines.join('\n');
}

/** `branches` parallel one-op branches of one input joined by one concat, written out: the widest graph to lay out. */
export function parallelBranchesNetwork(branches: number, shape = [1, 2, 4, 4]): string {
    const lines = [`network Parallel(input: [${shape.join(', ')}]) {`];
    for (let i = 0; i < branches; i++) lines.push(`  b${i} = input -> relu`);
    lines.push(`  return concat(${Array.from({ length: branches }, (_, i) => `b${i}`).join(', ')})`, '}');
    return lines.join('\n');
}

/** The same branches made by a loop (`branches` a multiple of 100 above 10,000, the limit of one loop). */
export function loopedParallelNetwork(branches: number, shape = [1, 2, 4, 4]): string {
    const loops = branches <= 10_000 ? `for i in range(${branches})` : `for i in range(${Math.round(branches / 100)}): for j in range(100)`;
    return `network LoopedParallel(input: [${shape.join(', ')}]) {\n  return concat([${loops}: input -> relu])\n}`;
}

/** `names` statements that each read a name nobody assigned (`x5 = y5 -> relu`): every one asks for a suggestion. */
export function unknownNamesNetwork(names: number): string {
    const lines = ['network Unknown(input: [1, 2, 4, 4]) {', '  x0 = input -> relu'];
    for (let i = 1; i <= names; i++) lines.push(`  x${i} = y${i} -> relu`);
    lines.push(`  return x0`, '}');
    return lines.join('\n');
}

/** A network whose output is read through one name of `length` characters that is never assigned. */
export function longNameNetwork(length: number): string {
    return `network LongName(input: [1, 2, 4, 4]) {\n  x = input -> relu\n  return ${'a'.repeat(length)}\n}`;
}

// Element-wise arithmetic of two tensors with broadcasting (AssemblyScript; see kernels.ts): y = a ∘ b for ∘ one
// of + − × ÷, four lanes at a time. The JavaScript side merges the operands' dimensions first (runtime/kernels/
// merge.ts, broadcastPlan), so that what reaches here is `rows` rows of `inner` elements, each operand stepping by
// 0 or 1 along a row (0: it broadcasts, as an SE gate's one value per channel) and by its own row step between
// rows (0 for a per-channel scale that repeats on every row of a channels-last tensor).

/** Which operation: `arithmetic`'s `op` (exported for the JavaScript side, as the flags are). */
export const ARITH_ADD: i32 = 1;
export const ARITH_SUB: i32 = 2;
export const ARITH_MUL: i32 = 3;
export const ARITH_DIV: i32 = 4;

@inline function combine(op: i32, a: v128, b: v128): v128 {
    switch (op) {
        case ARITH_ADD: return f32x4.add(a, b);
        case ARITH_SUB: return f32x4.sub(a, b);
        case ARITH_MUL: return f32x4.mul(a, b);
        default: return f32x4.div(a, b);
    }
}

@inline function combineScalar(op: i32, a: f32, b: f32): f32 {
    switch (op) {
        case ARITH_ADD: return a + b;
        case ARITH_SUB: return a - b;
        case ARITH_MUL: return a * b;
        default: return a / b;
    }
}

/**
 * Elements [from, to) of one row: a and b at their row's start, stepping by aStep and bStep (0 or 1). Inlined with
 * literal op and steps, so that each of the loops below has no test inside.
 */
@inline function row(op: i32, a: usize, b: usize, y: usize, from: i32, to: i32, aStep: i32, bStep: i32): void {
    const av = aStep == 0 ? v128.load32_splat(a) : f32x4.splat(0);
    const bv = bStep == 0 ? v128.load32_splat(b) : f32x4.splat(0);
    let i = from;
    for (; i + 4 <= to; i += 4) {
        const at = <usize>i << 2;
        v128.store(y + at, combine(op, aStep == 0 ? av : v128.load(a + at), bStep == 0 ? bv : v128.load(b + at)));
    }
    for (; i < to; i++) {
        const at = <usize>i << 2;
        store<f32>(y + at, combineScalar(op, load<f32>(a + at * <usize>aStep), load<f32>(b + at * <usize>bStep)));
    }
}

@inline function rowOf(op: i32, a: usize, b: usize, y: usize, from: i32, to: i32, aStep: i32, bStep: i32): void {
    if (aStep == 1 && bStep == 1) row(op, a, b, y, from, to, 1, 1);
    else if (aStep == 1) row(op, a, b, y, from, to, 1, 0);
    else if (bStep == 1) row(op, a, b, y, from, to, 0, 1);
    else row(op, a, b, y, from, to, 0, 0);
}

/**
 * y = a ∘ b over rows [r0, r1) of `inner` elements each — or, when there is one row, over its elements [r0, r1) —
 * a and b advancing by aRow and bRow elements from row to row and by aStep and bStep (0 or 1) along one.
 */
export function arithmetic(op: i32, a: usize, b: usize, y: usize, rows: i32, inner: i32, aRow: i32, bRow: i32,
    aStep: i32, bStep: i32, r0: i32, r1: i32): void {
    if (rows == 1) {
        // One long row (operands of one shape merge into one): the parts are runs of its elements.
        arithmeticRows(op, a, b, y, 0, 1, inner, aRow, bRow, aStep, bStep, r0, r1);
        return;
    }
    arithmeticRows(op, a, b, y, r0, r1, inner, aRow, bRow, aStep, bStep, 0, inner);
}

@inline function arithmeticRows(op: i32, a: usize, b: usize, y: usize, r0: i32, r1: i32, inner: i32, aRow: i32, bRow: i32,
    aStep: i32, bStep: i32, from: i32, to: i32): void {
    for (let r = r0; r < r1; r++) {
        const pa = a + <usize>r * aRow * 4, pb = b + <usize>r * bRow * 4, py = y + <usize>r * inner * 4;
        switch (op) {
            case ARITH_ADD: rowOf(ARITH_ADD, pa, pb, py, from, to, aStep, bStep); break;
            case ARITH_SUB: rowOf(ARITH_SUB, pa, pb, py, from, to, aStep, bStep); break;
            case ARITH_MUL: rowOf(ARITH_MUL, pa, pb, py, from, to, aStep, bStep); break;
            default: rowOf(ARITH_DIV, pa, pb, py, from, to, aStep, bStep); break;
        }
    }
}

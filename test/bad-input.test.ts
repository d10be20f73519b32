/**
 * The bad-input corpus (test/bad-input/): hostile and careless inputs through the built CLI, each in a fresh
 * temporary folder, with the checks every command must pass (test/bad-input/harness.ts) and each case's own.
 * Cases run concurrently, at most a few processes at a time. See test/bad-input/README.md.
 */
import { describe, expect, it } from 'vitest';
import { runCase, type Case } from './bad-input/harness.js';
import { writerCases } from './bad-input/cases-writers.js';
import { readCases } from './bad-input/cases-reads.js';
import { injectionCases } from './bad-input/cases-injection.js';
import { terminalCases } from './bad-input/cases-terminal.js';
import { messageCases } from './bad-input/cases-messages.js';
import { importCases } from './bad-input/cases-import.js';

const families: [string, Case[]][] = [
    ['writers that would overwrite', writerCases],
    ['reads that never end or are huge', readCases],
    ['code injection and leaks', injectionCases],
    ['terminal tricks', terminalCases],
    ['messages', messageCases],
    ['imports', importCases],
];

describe.concurrent('bad input', () => {
    for (const [family, cases] of families) {
        describe.concurrent(family, () => {
            for (const c of cases) {
                it(c.name, async () => {
                    const { problems, report } = await runCase(c);
                    if (process.env.BAD_INPUT_VERBOSE) console.log(`${c.name}\n  ${report}`);
                    expect(problems, `${problems.length} problem(s):\n  - ${problems.join('\n  - ')}\n  ${report}`).toEqual([]);
                }, 180_000);
            }
        });
    }
});

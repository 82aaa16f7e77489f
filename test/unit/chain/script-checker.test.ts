import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { PooledScriptVerifier } from '../../../src/chain/script-checker.js';
import type { ScriptJob } from '../../../src/consensus/block.js';
import { p2pkhSpend, testKey } from '../../helpers/signing.js';

// A block's script jobs, grouped per transaction before they go to the workers: connection lists
// them in transaction order (runs are the groups); any other order must give the same verdicts.
const alice = testKey('script-checker alice');
const bob = testKey('script-checker bob');
const txid = (n: number) => Buffer.alloc(32, n);
const coinbasePlaceholder = p2pkhSpend([{ txid: txid(9), index: 0 }], [{ script: alice.script, value: 1n }], alice);
const twoInputs = p2pkhSpend(
  [
    { txid: txid(1), index: 0 },
    { txid: txid(2), index: 3 },
  ],
  [{ script: bob.script, value: 5_000n }],
  alice,
);
const oneInput = p2pkhSpend([{ txid: txid(3), index: 1 }], [{ script: alice.script, value: 7_000n }], bob);
const txs = [coinbasePlaceholder, twoInputs, oneInput];

function jobs(wrongScriptAt?: [number, number]): ScriptJob[] {
  const list: ScriptJob[] = [
    { txIndex: 1, inputIndex: 0, prevScript: alice.script, prevValue: 10_000n },
    { txIndex: 1, inputIndex: 1, prevScript: alice.script, prevValue: 10_000n },
    { txIndex: 2, inputIndex: 0, prevScript: bob.script, prevValue: 20_000n },
  ];
  if (wrongScriptAt) {
    const j = list.find((x) => x.txIndex === wrongScriptAt[0] && x.inputIndex === wrongScriptAt[1])!;
    j.prevScript = j.prevScript === alice.script ? bob.script : alice.script;
  }
  return list;
}

const orders: Array<[string, (list: ScriptJob[]) => ScriptJob[]]> = [
  ['transaction order', (list) => list],
  ['reversed', (list) => [...list].reverse()],
  ['interleaved', (list) => [list[1], list[2], list[0]]],
];

for (const inlineMaxInputs of [16, 0]) {
  const verifier = new PooledScriptVerifier({ workers: 1, inlineMaxInputs });
  after(() => verifier.close());
  const where = inlineMaxInputs === 0 ? 'in the workers' : 'inline';

  for (const [name, arrange] of orders) {
    test(`script jobs in ${name} pass ${where}`, async () => {
      assert.deepEqual(await verifier.verifyScripts(txs, arrange(jobs())), { ok: true });
    });

    test(`script jobs in ${name} name the failing input ${where}`, async () => {
      for (const bad of [
        [1, 1],
        [1, 0],
        [2, 0],
      ] as [number, number][]) {
        const r = await verifier.verifyScripts(txs, arrange(jobs(bad)));
        assert.equal(r.ok, false, `bad input ${bad}`);
        if (r.ok) continue;
        assert.deepEqual([r.txIndex, r.inputIndex], bad);
      }
    });
  }
}

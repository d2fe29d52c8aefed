import { CREATE_RECORD_BUDGET, createBatches, createRecords, type NewTopic } from '../../../src/kafka/topic-admin.js';

const topic = (name: string, partitions: number, configs: number): NewTopic => ({ name, partitions, replicationFactor: -1, configs: Object.fromEntries(Array.from({ length: configs }, (_, i) => [`k${i}`, 'v'])) });
const sizes = (batches: NewTopic[][]): number[] => batches.map((b) => b.length);

describe('CreateTopics batches: as few requests as a KRaft controller takes', () => {
  it.each([
    [1, 0, 2],
    [3, 2, 6],
    [-1, 1, 3], // the broker's default partition count counts as 1
  ])('a topic with %i partition(s) and %i config(s) costs %i records', (partitions, configs, records) => {
    expect(createRecords(topic('t', partitions, configs))).toBe(records);
  });

  it.each([
    ['1,000 topics of 1 partition and 1 config: one request', 1000, 1, 1, [1000]],
    ['1,000 topics of 3 partitions and 2 configs (6,000 records): two', 1000, 3, 2, [833, 167]],
    ['2,500 topics of 1 partition (5,000 records): one', 2500, 1, 0, [2500]],
    ['2,501 topics of 1 partition: two', 2501, 1, 0, [2500, 1]],
  ])('%s', (_, n, partitions, configs, expected) => {
    const topics = Array.from({ length: n }, (_, i) => topic(`t${i}`, partitions, configs));
    const batches = createBatches(topics);
    expect(sizes(batches)).toEqual(expected);
    expect(batches.flat()).toEqual(topics); // every topic once, in order
    for (const b of batches) expect(b.reduce((sum, t) => sum + createRecords(t), 0)).toBeLessThanOrEqual(CREATE_RECORD_BUDGET);
  });

  it('a topic larger than the budget goes alone, between its neighbours', () => {
    const topics = [topic('a', 1, 0), topic('huge', 20_000, 0), topic('b', 1, 0)];
    expect(createBatches(topics).map((b) => b.map((t) => t.name))).toEqual([['a'], ['huge'], ['b']]);
  });

  it('no topics, no requests', () => {
    expect(createBatches([])).toEqual([]);
  });
});

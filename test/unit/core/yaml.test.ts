import { formatPath, loadYamlDocuments, loadYamlWithPositions } from '../../../src/core/yaml.js';
import { configError, yaml } from '../redpanda-topics/helpers.js';

describe('YAML with positions', () => {
  const doc = loadYamlWithPositions(
    yaml('a: 1', 'list:', '  - x', '  - name: "quoted"', '    deep: {k: v, "k.2": [1, 2]}', 'base: &b', '  p: 3', 'copy:', '  <<: *b', '  q: 4', 'alias: *b'),
    'f.yaml',
  );

  it('loads the value (with merge keys)', () => {
    expect(doc.value).toEqual({ a: 1, list: ['x', { name: 'quoted', deep: { k: 'v', 'k.2': [1, 2] } }], base: { p: 3 }, copy: { p: 3, q: 4 }, alias: { p: 3 } });
  });

  it.each([
    [[], 1, 1],
    [['a'], 1, 4],
    [['list'], 3, 3],
    [['list', 0], 3, 5],
    [['list', 1], 4, 5],
    [['list', 1, 'name'], 4, 11],
    [['list', 1, 'deep'], 5, 11],
    [['list', 1, 'deep', 'k.2'], 5, 25],
    [['list', 1, 'deep', 'k.2', 1], 5, 29],
    [['copy', 'q'], 10, 6],
    // Inside an alias nothing has a position of its own: the alias's position is used.
    [['alias', 'p'], 11, 8],
    // Unknown paths fall back to the nearest ancestor.
    [['list', 1, 'missing'], 4, 5],
  ])('at(%j) is line %d column %d', (path, line, column) => expect(doc.at(path)).toEqual({ line, column }));

  it.each([
    [['a'], 1, 1],
    [['list', 1, 'deep'], 5, 5],
    [['list', 1, 'deep', 'k.2'], 5, 18],
  ])('keyAt(%j) is line %d column %d', (path, line, column) => expect(doc.keyAt(path)).toEqual({ line, column }));

  it('keeps the source text of plain scalars (for numbers JavaScript cannot hold)', () => {
    const d = loadYamlWithPositions('big: 9223372036854775807\n', 'f.yaml');
    expect(d.scalarText(['big'])).toBe('9223372036854775807');
  });

  it.each([
    [[], '(top level)'],
    [['topics', 2, 'partitions'], 'topics[2].partitions'],
    [['topics', 0, 'configs', 'retention.ms'], 'topics[0].configs["retention.ms"]'],
  ])('formatPath(%j) = %s', (path, text) => expect(formatPath(path)).toBe(text));

  it('reports a syntax error at its line and column', () => {
    const err = configError(() => loadYamlWithPositions('a: 1\nb: [1, 2\n', 'f.yaml', 'file'));
    expect(err.problems[0]).toMatchObject({ input: 'file', location: { file: 'f.yaml', line: 3 } });
    expect(err.message).toMatch(/^f\.yaml:3:\d+: file: is not valid YAML: /);
  });

  it('refuses several documents in one file', () => {
    expect(configError(() => loadYamlWithPositions('# c\na: 1\n---\nb: 2\n', 'f.yaml')).message).toMatch(/^f\.yaml:3: file: holds more than one YAML document/);
    expect(configError(() => loadYamlWithPositions('---\na: 1\n---\nb: 2\n', 'f.yaml')).message).toMatch(/^f\.yaml:3: file: holds more than one/);
  });
});

describe('YAML streams with positions', () => {
  it('gives each document of a stream its own positions, dropping empty documents', () => {
    const docs = loadYamlDocuments('# lead comment\na: 1\nb:\n  c: 2\n---\n---\nkind: X\nspec:\n  - z\n', 'm.yaml');
    expect(docs.map((d) => d.document)).toEqual([0, 2]);
    expect(docs[0]!.at(['b', 'c'])).toEqual({ line: 4, column: 6 });
    expect(docs[1]!.at(['spec', 0])).toEqual({ line: 9, column: 5 });
    expect(docs[1]!.keyAt(['kind'])).toEqual({ line: 7, column: 1 });
  });

  it('reports a syntax error in any document with its line', () => {
    expect(() => loadYamlDocuments('a: 1\n---\nb: [\n', 'm.yaml', 'components')).toThrow(/^m.yaml:4:1: components: is not valid YAML/);
  });
});

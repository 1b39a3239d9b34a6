/**
 * The layer rules of DESIGN.md, checked on every CI run (`npm run lint`). Type-only imports count
 * (tsPreCompilationDeps), so an `import type` across a layer is a violation too.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'src/core decides and does no I/O: it imports nothing of ours outside src/core.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^(src|commands|test|bench)/', pathNot: '^src/core/' },
    },
    {
      name: 'engine-uses-ports',
      comment: 'src/engine acts through ports: it imports no adapter and nothing of the composition root.',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: '^src/(adapters|app)/' },
    },
    {
      name: 'commands-are-chat-neutral',
      comment: 'commands/ return a neutral Message: no adapter, no composition root, no Bolt (nor any @slack package).',
      severity: 'error',
      from: { path: '^commands/' },
      to: { path: '^src/(adapters|app)/|(^|/)node_modules/@slack/' },
    },
    {
      name: 'no-circular',
      comment: 'No module reaches itself again through its imports.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'store-and-reports-use-no-adapter',
      comment: 'src/store and src/reports are views and persistence: they import no adapter.',
      severity: 'error',
      from: { path: '^src/(store|reports)/' },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'src-imports-no-test',
      comment: 'Nothing shipped imports test code.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|data|coverage)/' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.json', '.d.ts'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};

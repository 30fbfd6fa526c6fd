// `npm run lint:cycles` (run by scripts/test.sh's lint step): no import circles between folders of src/
// (DESIGN.md, "Layout": arrows point one way). Per-folder import rules are in eslint.config.mjs.
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'Folders depend on each other one way: a circle means two layers lean on each other.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a circle of types is still two folders that cannot be understood apart.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^node_modules' },
  },
};

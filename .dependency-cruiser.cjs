// The layers of ARCHITECTURE.md, checked on every `npm test` (npm run lint): `depcruise main preload renderer`.
// Type-only imports count as imports here, so a circle cannot hide behind `import type`.
const ELECTRON = '^electron(/|$)|(^|/)node_modules/electron/'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circle',
      comment: 'An import circle: move what both sides need into a leaf module (types to main/contract, errors beside their kind).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'electron-only-in-the-shell',
      comment: 'Only the Electron shell (main/app) and preload may import electron; the engine, the bridge and the window run without it.',
      severity: 'error',
      from: { pathNot: '^(main/app|preload)/' },
      to: { path: ELECTRON },
    },
    {
      name: 'engine-is-headless',
      comment: 'The engine imports only itself and the contract: never the shell, the bridge, preload or the window.',
      severity: 'error',
      from: { path: '^main/engine/' },
      to: { path: '^(main/(app|ui|cli\\.ts|start\\.ts)|preload|renderer)(/|$)' },
    },
    {
      name: 'contract-at-the-bottom',
      comment: 'The contract imports nothing of the project but itself, and no package: it is read by Node, by the sandboxed preload and by the browser alike.',
      severity: 'error',
      from: { path: '^main/contract/' },
      to: { pathNot: '^main/contract/' },
    },
    {
      name: 'bridge-without-shell',
      comment: 'main/ui (the bridge and the daemon\'s browser twin) serves both the app and the daemon: it must not import the Electron shell.',
      severity: 'error',
      from: { path: '^main/ui/' },
      to: { path: '^(main/app|preload)/' },
    },
    {
      name: 'window-sees-only-the-contract',
      comment: 'The renderer reaches main only through the contract (main/contract) and the API object preload exposes.',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^(main|preload)/', pathNot: '^main/contract/|^preload/exposed-api\\.d\\.ts$' },
    },
    {
      name: 'preload-is-thin',
      comment: 'Preload runs sandboxed: it may import electron and the contract, nothing else of the project.',
      severity: 'error',
      from: { path: '^preload/' },
      to: { path: '^(main|renderer)/', pathNot: '^main/contract/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|out)/' },
  },
}

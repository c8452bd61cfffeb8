#!/usr/bin/env node
// The `fleet` bin: apps run from their TypeScript source (DESIGN.md section 2), so register tsx's
// loader, then run the CLI. `pnpm fleet ...` from the repo root does the same with `--import tsx`.
await import('tsx');
await import('../src/main.ts');

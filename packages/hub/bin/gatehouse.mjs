#!/usr/bin/env node
// The `gatehouse` command. Registers tsx so the TypeScript sources and hub.config.ts files run as they are.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');

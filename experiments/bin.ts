#!/usr/bin/env node
// The `tsgym` command of the installed package (package.json "bin").
import { main } from './cli.js';

await main(process.argv.slice(2));

// Writes docs/settings.md from the settings registry (needs `npm run build` first). With --check, fails on drift.
import fs from 'node:fs';
import { settingsMarkdown } from '../dist/config/describe.js';

const target = new URL('../docs/settings.md', import.meta.url);
const text = settingsMarkdown();
if (process.argv.includes('--check')) {
  const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (current !== text) {
    console.error('docs/settings.md is out of date: run `npm run build && npm run docs:settings` and commit it.');
    process.exit(1);
  }
  console.log('docs/settings.md is up to date');
} else {
  fs.writeFileSync(target, text);
  console.log('wrote docs/settings.md');
}
